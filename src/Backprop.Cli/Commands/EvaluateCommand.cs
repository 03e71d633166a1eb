using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Charts;
using Backprop.Cli.Runs;
using Backprop.Data;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop evaluate CHECKPOINT</c>: accuracy, per-class accuracy and the confusion matrix, as tables and a PNG.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliConsole io)
    {
        var checkpoint = Options.PathArgument("CHECKPOINT", "A checkpoint.ckpt written by backprop train, or a PyTorch state_dict of the lesson's model (.pt from torch.save, .safetensors)");
        var split = new Option<string>("--split") { Description = "The split to evaluate", HelpName = "test|valid", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("test", "valid");
        var png = Options.PathOption("--png", "Where to write the confusion matrix PNG [default: next to the checkpoint, named after it: checkpoint.ckpt.confusion-<split>.png]", "FILE");
        var data = Options.Data();
        var device = Options.Device();
        var command = new Command("evaluate", "Evaluate a checkpoint or a PyTorch state_dict: accuracy, per-class accuracy and the confusion matrix (table and PNG)")
        {
            checkpoint, split, png, data, device,
        };
        command.SetAction(p => Run(io, p.GetValue(checkpoint)!, p.GetValue(split)!, p.GetValue(png), p.GetValue(data)!, p.GetValue(device)!));
        return command;
    }

    /// <summary>The confusion matrix's default PNG: named after the evaluated file, so that a run's .ckpt and its exported .pt each keep their own.</summary>
    internal static string DefaultPng(string file, string split) => Path.GetFullPath(file) + $".confusion-{split}.png";

    private static int Run(CliConsole io, string file, string split, string? png, string dataDir, string deviceName)
    {
        var weights = ModelWeights.Load(file);
        var device = DeviceChoice.Resolve(deviceName);
        png ??= DefaultPng(file, split);
        if (!OutputFile.Check(io, png, "--png", OutputFile.Png, [file])) return ExitCodes.Failed;
        using var mnist = Mnist.Load(dataDir);
        using var model = CheckpointModel.Load(weights.Tensors, weights.Hidden, file, device);
        var (x, y) = split == "test" ? (mnist.XTest, mnist.YTest) : (mnist.XValid, mnist.YValid);
        var eval = Evaluation.Run(xb => model.call(xb), x, y, device);
        var m = eval.Confusion;
        if (eval.NonFinite > 0) // an argmax of NaNs is class 0: an "accuracy" of 0.098 that means nothing
        {
            io.Error.WriteLine($"error: {file}: the model's outputs are NaN or infinite for {eval.NonFinite:N0} of the {m.Count:N0} {split} images (its weights overflow float32), so it has no accuracy to report; use the weights of an earlier epoch or train again with a lower --lr.");
            return ExitCodes.Failed;
        }

        io.Out.WriteLine($"{Shown.Path(file)}: {weights.Description}; {split} split of {Shown.Path(mnist.Source)}");
        io.Out.WriteLine($"{split} accuracy: {eval.Accuracy.ToString("F4", CultureInfo.InvariantCulture)} ({m.Count - eval.Misclassified().Count:N0} of {m.Count:N0})");

        var perClass = new Table().Border(TableBorder.Simple).Title("per class");
        foreach (var c in new[] { "digit", "images", "correct", "accuracy" }) perClass.AddColumn(new TableColumn(c).RightAligned());
        for (var c = 0; c < m.Classes; c++)
            perClass.AddRow($"{c}", $"{m.Support(c)}", $"{m[c, c]}", m.PerClassAccuracy[c].ToString("F4", CultureInfo.InvariantCulture));
        io.Out.Write(perClass);

        var confusion = new Table().Border(TableBorder.Simple).Title("confusion matrix (rows: true digit, columns: predicted)");
        confusion.AddColumn(new TableColumn("true\\pred").RightAligned());
        for (var c = 0; c < m.Classes; c++) confusion.AddColumn(new TableColumn($"{c}").RightAligned());
        for (var a = 0; a < m.Classes; a++)
            confusion.AddRow([$"{a}", .. Enumerable.Range(0, m.Classes).Select(p => a == p ? $"[bold]{m[a, p]}[/]" : $"{m[a, p]}")]);
        io.Out.Write(confusion);

        if (!OutputFile.Write(io, png, "--png", () => AtomicFile.Save(png, p => ConfusionMatrixPlot.Save(m, p, $"Confusion matrix, {split} split (accuracy {eval.Accuracy:P2})"))))
            return ExitCodes.Failed;
        io.Out.WriteLine($"wrote {Shown.Path(png)}");
        if (Figure.TextProblem is { } noText) io.Error.WriteLine($"warning: {noText}");
        return ExitCodes.Ok;
    }
}
