using System.CommandLine;
using System.CommandLine.Parsing;
using Backprop.Cli.Charts;
using Backprop.Cli.Display;
using Backprop.Cli.Runs;
using Backprop.Training;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop train</c>: the lesson's final stage on MNIST, with checkpoints, metrics and plots.</summary>
internal static class TrainCommand
{
    private static readonly Dictionary<string, LossKind> Losses = new() { ["cross_entropy"] = LossKind.CrossEntropy, ["mse"] = LossKind.Mse };
    private static readonly Dictionary<string, GradientKind> Gradients = new() { ["autograd"] = GradientKind.Autograd, ["manual"] = GradientKind.Manual };

    public static Command Create(CliConsole io)
    {
        var epochs = Options.Between("--epochs", 1, TrainSettings.MaxEpochs, "Epochs to train in total (a resumed run continues up to this number) [default: 5]", "-e");
        var bs = Options.Between("--batch-size", 1, TrainSettings.MaxBatchSize, "Training batch size; validation uses twice as many [default: 50]", "--bs");
        var lr = Options.Positive("--lr", TrainSettings.MaxLearningRate, "SGD learning rate [default: 0.5]");
        var hidden = new Option<HiddenLayers?>("--hidden", "--nh")
        {
            Description = "The hidden layers' widths: one, the lesson's nh, or several separated by commas (100,50 trains 784-100-50-10) [default: 50]",
            HelpName = "N[,N...]",
            CustomParser = r => HiddenLayers.Parse(r.Tokens.Count == 1 ? r.Tokens[0].Value : "", out var problem) ?? Refuse(r, $"--hidden {problem}"),
        };
        var loss = new Option<string?>("--loss") { Description = "cross_entropy (F.cross_entropy) or mse (against one-hot targets) [default: cross_entropy]", HelpName = "cross_entropy|mse" };
        loss.AcceptOnlyFromAmong([.. Losses.Keys]);
        var gradients = new Option<string?>("--gradients") { Description = "autograd, or manual (lesson 03's hand-written backward and SGD) [default: autograd]", HelpName = "autograd|manual" };
        gradients.AcceptOnlyFromAmong([.. Gradients.Keys]);
        var seed = Options.WholeNumber("--seed", "torch.manual_seed for the weights and the shuffling [default: 1]");
        var device = Options.Device();
        var data = Options.Data();
        var output = Options.PathOption("--out", "Run folder for the checkpoint, metrics and plots [default: runs/<timestamp>, or the checkpoint's folder with --resume]", "DIR");
        var resume = Options.PathOption("--resume", "Continue from a checkpoint: weights, optimizer, epoch and random state", "CHECKPOINT");
        var overwrite = new Option<bool>("--overwrite") { Description = "Let the run replace another run's results in --out (its checkpoint, metrics, plots and TensorBoard events), which are otherwise refused; they are removed when this run's first epoch is saved" };
        var threads = Options.Between("--threads", 1, Options.MaxThreads, "torch intra-op threads on the CPU [default: by the step's work: 1 for the lesson's 784-50-10 at bs 50, every processor from 40 MFLOP a step]", "-t");
        var kernels = CpuKernelsOption.Create();
        var metrics = Options.PathOption("--metrics", "Also write the per-epoch metrics (JSON Lines) to this file (an existing one is replaced only if it holds JSON)", "FILE");

        var command = new Command("train", "Train 784-nh-10 (or 784-h1-h2-...-10) on MNIST (defaults: the lesson's final stage, 784-50-10, cross-entropy, SGD lr 0.5, bs 50, 5 epochs, seed 1, shuffled)")
        {
            epochs, bs, lr, hidden, loss, gradients, seed, device, data, output, resume, overwrite, metrics, threads, kernels,
        };
        command.SetAction((p, cancel) =>
        {
            var request = new TrainRequest
            {
                Overrides = new TrainOverrides(
                    Hidden: p.GetValue(hidden),
                    Loss: Options.Choice(p, loss, Losses),
                    Gradients: Options.Choice(p, gradients, Gradients),
                    LearningRate: p.GetValue(lr),
                    BatchSize: p.GetValue(bs),
                    Epochs: p.GetValue(epochs),
                    Seed: p.GetValue(seed)),
                DataDir = p.GetValue(data)!,
                Device = p.GetValue(device)!,
                OutDir = p.GetValue(output),
                Resume = p.GetValue(resume),
                Overwrite = p.GetValue(overwrite),
                MetricsFile = p.GetValue(metrics),
                Threads = p.GetValue(threads),
            };
            return Task.FromResult(Run(io, request, cancel));
        });
        return command;
    }

    private static HiddenLayers? Refuse(ArgumentResult r, string error)
    {
        r.AddError(error);
        return null;
    }

    // Ten classes: guessing one digit scores about 0.10.
    private const double ChanceAccuracy = 0.15;

    private static int Run(CliConsole io, TrainRequest request, CancellationToken cancel)
    {
        var outcome = io.Live
            ? LiveTrainDisplay.Run(io.Out, observer => TrainRun.Execute(request, observer, cancel: cancel), cancel)
            : TrainRun.Execute(request, new PlainTrainDisplay(io.Out), cancel: cancel);
        Summary.Write(io.Out, outcome);
        if (outcome.Warning is not null) io.Error.WriteLine($"warning: {outcome.Warning}");
        if (outcome.History.Count > 0 && Figure.TextProblem is { } noText) io.Error.WriteLine($"warning: {noText}");
        switch (outcome.Status)
        {
            case TrainStatus.Diverged:
                var last = outcome.Files.Contains(outcome.Folder.Checkpoint) ? $"the checkpoint of epoch {outcome.History.Count} is kept in {outcome.Folder.Checkpoint}"
                    : request.Resume is { } resumed ? $"this run saved no epoch, and the checkpoint it resumed, {resumed}, is as it was"
                    : File.Exists(outcome.Folder.Checkpoint) ? $"this run saved no epoch, and the results already in {outcome.Folder.Path} are as they were"
                    : "no checkpoint was written";
                io.Error.WriteLine($"error: training diverged: the loss of epoch {outcome.Failed!.Epoch} is {outcome.Failed.TrainLoss} (valid {outcome.Failed.ValidLoss}); {last}. " +
                    $"Try a lower learning rate, e.g. --lr {TrainOverrides.Name(outcome.Settings.LearningRate / 10)}.");
                return ExitCodes.Failed;
            case TrainStatus.Interrupted:
                io.Error.WriteLine(outcome.History.Count == 0
                    ? "interrupted before the first epoch ended; nothing to resume"
                    : $"interrupted; continue with: {Invocation.Command("train", "--resume", outcome.Folder.Checkpoint)}");
                return ExitCodes.Interrupted;
            default:
                if (outcome.History is [.., var end] && end.ValidAccuracy <= ChanceAccuracy)
                    io.Error.WriteLine($"warning: the run ends at chance accuracy (valid accuracy {end.ValidAccuracy:F4}): the model learned nothing. " +
                        $"Try a lower learning rate, e.g. --lr {TrainOverrides.Name(outcome.Settings.LearningRate / 10)}.");
                return ExitCodes.Ok;
        }
    }
}
