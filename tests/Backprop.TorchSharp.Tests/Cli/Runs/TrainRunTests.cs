using System.Text.Json;
using Backprop.Cli.Runs;
using Backprop.Data;
using Backprop.Native;
using Backprop.Training;
using StbImageSharp;

namespace Backprop.Tests.Cli.Runs;

/// <summary>Whole runs on MNIST, as <c>backprop train</c> does them (an epoch takes well under a second on a CPU).</summary>
[Collection(MnistGroup.Name)]
public sealed class TrainRunTests(TrainedRun run)
{
    private sealed class Recorder(Action<EpochResult>? onEpoch = null, int readLossEvery = 0) : SilentObserver
    {
        public TrainStart? Start { get; private set; }
        public List<EpochResult> Epochs { get; } = [];
        public int Batches { get; private set; }
        public List<double> LossesRead { get; } = [];

        public override void Started(TrainStart start) => Start = start;

        public override void Batch(BatchProgress progress)
        {
            Batches++;
            if (readLossEvery > 0 && (progress.Batch + 1) % readLossEvery == 0) LossesRead.Add(progress.RunningLoss()); // as the live display does
        }

        public override void Epoch(EpochResult result)
        {
            Epochs.Add(result);
            onEpoch?.Invoke(result);
        }
    }

    internal static TrainRequest Request(string outDir, TrainOverrides? overrides = null, string? resume = null) => new()
    {
        Overrides = overrides ?? new TrainOverrides(),
        DataDir = Repo.Data,
        Device = "cpu",
        OutDir = outDir,
        Resume = resume,
    };

    [Fact]
    public void A_run_writes_a_checkpoint_the_metrics_and_both_plots()
    {
        using var dir = new TempDir();
        var recorder = new Recorder();

        var outcome = TrainRun.Execute(Request(dir.Path, new TrainOverrides(Epochs: 2)) with { MetricsFile = dir.File("extra.jsonl") }, recorder);

        Assert.Equal(TrainStatus.Completed, outcome.Status);
        Assert.Equal(2, outcome.History.Count);
        Assert.Equal(2000, recorder.Batches);
        Assert.Equal("cpu", recorder.Start!.Device);
        Assert.InRange(outcome.History[^1].ValidAccuracy, 0.94, 1);
        var ckpt = CheckpointFile.Load(outcome.Folder.Checkpoint);
        Assert.Equal(outcome.History, ckpt.History);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], ckpt.Weights.Select(w => w.Name));
        Assert.Equal(outcome.History, File.ReadAllLines(outcome.Folder.Metrics).Select(MetricsLog.Parse));
        var kernels = CpuKernels.Current; // this process pinned nothing: libtorch's own choice, as the run reports it
        Assert.Equal([new EpochKernels(kernels.Capability, false, kernels.MklBranch), new EpochKernels(kernels.Capability, false, kernels.MklBranch)], ckpt.Kernels);
        Assert.All(File.ReadAllLines(outcome.Folder.Metrics), l => Assert.Contains($"\"cpu_kernels\":{{\"aten\":{JsonSerializer.Serialize(kernels.Capability)},\"pinned\":false,", l));
        Assert.Equal(kernels.ToString(), recorder.Start.Kernels);
        Assert.Equal(File.ReadAllText(outcome.Folder.Metrics), File.ReadAllText(dir.File("extra.jsonl")));
        foreach (var png in new[] { outcome.Folder.Curves, outcome.Folder.TopLosses })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        var curves = ImageResult.FromMemory(File.ReadAllBytes(outcome.Folder.Curves), ColorComponents.RedGreenBlue); // whole, at its size (its panels: TrainingCurvesTests)
        Assert.Equal((800, 700), (curves.Width, curves.Height));
        var top = ImageResult.FromMemory(File.ReadAllBytes(outcome.Folder.TopLosses), ColorComponents.RedGreenBlue);
        Assert.Equal(8 * 120, top.Width); // 8 digits a row, 120 pixels each (TopLossesTests)
        // The curves' batches: 1,000 an epoch, averaging to the epoch's train loss.
        Assert.Equal([1, 2], outcome.BatchLosses!.Keys.Order());
        foreach (var r in outcome.History)
        {
            Assert.Equal(1000, outcome.BatchLosses[r.Epoch].Length);
            Assert.Equal(r.TrainLoss, outcome.BatchLosses[r.Epoch].Average(v => (double)v), 1e-4);
        }
    }

    [Theory]
    [InlineData(false, "50")]
    [InlineData(true, "50")]
    [InlineData(false, "30,20")]
    [InlineData(true, "30,20")]
    public void A_resumed_run_ends_where_the_uninterrupted_run_ends(bool manualGradients, string hidden)
    {
        var gradients = manualGradients ? GradientKind.Manual : GradientKind.Autograd;
        using var whole = new TempDir();
        using var split = new TempDir();
        var settings = new TrainOverrides(Hidden: HiddenLayers.Parse(hidden, out _), Gradients: gradients, Epochs: 2);

        var uninterrupted = TrainRun.Execute(Request(whole.Path, settings), new Recorder());
        var firstEpoch = manualGradients || hidden != "50" // the shared run is train's defaults' first epoch: 784-50-10, autograd
            ? TrainRun.Execute(Request(split.Path, settings with { Epochs = 1 }), new Recorder()).Folder.Checkpoint
            : run.CopyTo(split.Path);
        var resumed = TrainRun.Execute(Request(split.Path, new TrainOverrides(Epochs: 2), resume: firstEpoch), new Recorder());

        Assert.Equal(gradients, resumed.Settings.Gradients);
        Assert.Equal(hidden, resumed.Settings.Hidden.ToString());
        Assert.Equal(uninterrupted.History.Select(r => (r.TrainLoss, r.ValidLoss, r.ValidAccuracy)), resumed.History.Select(r => (r.TrainLoss, r.ValidLoss, r.ValidAccuracy)));
        var a = CheckpointFile.Load(uninterrupted.Folder.Checkpoint);
        var b = CheckpointFile.Load(resumed.Folder.Checkpoint);
        Assert.Equal(a.Weights.SelectMany(w => w.Values), b.Weights.SelectMany(w => w.Values));
        Assert.Equal(a.RngState, b.RngState);
        Assert.Equal([2], resumed.BatchLosses!.Keys); // the resumed run's own epoch; the curves show epoch 1 by its mean
        Assert.Equal(uninterrupted.BatchLosses![2], resumed.BatchLosses[2]);
        Assert.Equal(a.Kernels, b.Kernels); // each epoch keeps the kernels that trained it
    }

    [Fact]
    public void A_loss_that_turns_NaN_stops_the_run_and_keeps_the_last_good_checkpoint()
    {
        using var dir = new TempDir();
        TrainRun.Execute(Request(dir.Path, new TrainOverrides(Loss: LossKind.Mse, Epochs: 1)), new Recorder());
        var good = File.ReadAllBytes(Path.Combine(dir.Path, "checkpoint.ckpt"));
        var goodMetrics = File.ReadAllText(Path.Combine(dir.Path, "metrics.jsonl"));

        var outcome = TrainRun.Execute(Request(dir.Path, new TrainOverrides(LearningRate: 1000, Epochs: 4), resume: Path.Combine(dir.Path, "checkpoint.ckpt")), new Recorder());

        Assert.Equal(TrainStatus.Diverged, outcome.Status);
        Assert.Equal(2, outcome.Failed!.Epoch);
        Assert.False(double.IsFinite(outcome.Failed.TrainLoss) && double.IsFinite(outcome.Failed.ValidLoss));
        Assert.Single(outcome.History);
        Assert.Equal(good, File.ReadAllBytes(outcome.Folder.Checkpoint));
        Assert.Equal(goodMetrics, File.ReadAllText(outcome.Folder.Metrics));
        Assert.Empty(outcome.BatchLosses!); // the diverged epoch's batches are not drawn, as it is not kept
    }

    [Fact]
    public void A_NaN_seen_by_the_progress_read_stops_the_run_then_not_at_the_epochs_end()
    {
        using var dir = new TempDir();
        TrainRun.Execute(Request(dir.Path, new TrainOverrides(Loss: LossKind.Mse, Epochs: 1)), new Recorder());
        var good = File.ReadAllBytes(Path.Combine(dir.Path, "checkpoint.ckpt"));
        var recorder = new Recorder(readLossEvery: 20);

        var outcome = TrainRun.Execute(Request(dir.Path, new TrainOverrides(LearningRate: 1000, Epochs: 4), resume: Path.Combine(dir.Path, "checkpoint.ckpt")), recorder);

        Assert.Equal(TrainStatus.Diverged, outcome.Status);
        Assert.Equal(2, outcome.Failed!.Epoch);
        Assert.False(double.IsFinite(outcome.Failed.TrainLoss));
        Assert.False(double.IsFinite(recorder.LossesRead[^1]));
        Assert.All(recorder.LossesRead[..^1], l => Assert.True(double.IsFinite(l)));
        Assert.Equal(20 * recorder.LossesRead.Count, recorder.Batches); // stopped at the read that saw it
        Assert.InRange(recorder.Batches, 1, 999); // an epoch has 1000
        Assert.Single(outcome.History);
        Assert.Equal(good, File.ReadAllBytes(outcome.Folder.Checkpoint));
    }

    [Fact]
    public void Cancelling_stops_between_batches_with_the_last_complete_epoch_saved()
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var recorder = new Recorder(_ => cts.Cancel());

        var outcome = TrainRun.Execute(Request(dir.Path, new TrainOverrides(Epochs: 5)), recorder, cancel: cts.Token);

        Assert.Equal(TrainStatus.Interrupted, outcome.Status);
        Assert.Single(outcome.History);
        Assert.Equal(1, CheckpointFile.Load(outcome.Folder.Checkpoint).Epochs);
        Assert.Equal(1000, recorder.Batches); // not one batch of epoch 2 ran
    }

    [Fact]
    public void An_unwritable_folder_fails_before_the_data_is_read()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("file"), "");

        var e = Assert.Throws<RunFolderException>(() =>
            TrainRun.Execute(Request(Path.Combine(dir.File("file"), "run")) with { DataDir = dir.File("no-data-here") }, new Recorder()));

        Assert.Contains("--out", e.Message);
    }

    [Fact]
    public void An_unwritable_metrics_file_fails_before_training()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<RunFolderException>(() =>
            TrainRun.Execute(Request(dir.Path) with { MetricsFile = dir.File("missing/folder/m.jsonl") }, new Recorder()));

        Assert.Contains("m.jsonl", e.Message);
        Assert.Contains("--metrics", e.Message);
    }

    [Fact]
    public void A_run_that_fails_before_training_leaves_an_existing_metrics_file_and_checkpoint_as_they_were()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("m.jsonl"), "{\"epoch\": 1}\n");
        File.WriteAllText(dir.File("checkpoint.ckpt"), "kept");

        // Even with --overwrite, another run's files go only when this run has an epoch to put in their place.
        Assert.Throws<DataFileException>(() =>
            TrainRun.Execute(Request(dir.Path) with { MetricsFile = dir.File("m.jsonl"), DataDir = dir.File("nothing"), Overwrite = true }, new Recorder()));

        Assert.Equal("{\"epoch\": 1}\n", File.ReadAllText(dir.File("m.jsonl")));
        Assert.Equal("kept", File.ReadAllText(dir.File("checkpoint.ckpt")));
        Assert.Equal(["checkpoint.ckpt", "m.jsonl"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Resuming_with_another_model_is_refused()
    {
        using var dir = new TempDir();
        var checkpoint = run.CopyTo(dir.Path); // 784-50-10

        var e = Assert.Throws<TrainSettingsException>(() =>
            TrainRun.Execute(Request(dir.Path, new TrainOverrides(Hidden: 8), resume: checkpoint), new Recorder()));
        var deeper = Assert.Throws<TrainSettingsException>(() =>
            TrainRun.Execute(Request(dir.Path, new TrainOverrides(Hidden: new HiddenLayers(50, 50)), resume: checkpoint), new Recorder()));

        Assert.Contains("--hidden", e.Message);
        Assert.Contains("--hidden 50,50 contradicts the checkpoint, which was trained with --hidden 50; leave --hidden out to continue it", deeper.Message);
    }

    [Fact]
    public void Two_hidden_layers_train_checkpoint_and_report_as_784_h1_h2_10()
    {
        using var dir = new TempDir();
        var recorder = new Recorder();

        var outcome = TrainRun.Execute(Request(dir.Path, new TrainOverrides(Hidden: new HiddenLayers(100, 50), Epochs: 1)), recorder);

        Assert.Equal(TrainStatus.Completed, outcome.Status);
        Assert.InRange(outcome.History[^1].ValidAccuracy, 0.9, 1);
        Assert.Equal("784-100-50-10", recorder.Start!.Settings.Hidden.Architecture);
        Assert.StartsWith("784-100-50-10, cross-entropy, autograd gradients", Backprop.Cli.Display.Summary.Describe(recorder.Start).First(), StringComparison.Ordinal);
        var ckpt = CheckpointFile.Load(outcome.Folder.Checkpoint);
        Assert.Equal([100, 50], ckpt.Settings.Hidden.Widths);
        Assert.Equal([("0.weight", "100,784"), ("0.bias", "100"), ("2.weight", "50,100"), ("2.bias", "50"), ("4.weight", "10,50"), ("4.bias", "10")],
            ckpt.Weights.Select(w => (w.Name, string.Join(",", w.Shape))));
    }

    [Fact]
    public void A_format_2_checkpoint_of_one_hidden_layer_evaluates_and_resumes_into_format_3()
    {
        // Written by backprop 0.1.0 (commit 157d651, checkpoint format 2, "hidden": 2): train --epochs 1 --hidden 2 --lr 0.1.
        var fixture = Repo.Fixture("format2-784-2-10.ckpt");
        Assert.Equal(2u, BitConverter.ToUInt32(File.ReadAllBytes(fixture), "backprop-checkpoint\n".Length));
        using var dir = new TempDir();
        using var copy = new TempDir();
        var old = dir.File("checkpoint.ckpt");
        File.Copy(fixture, old);
        var loaded = CheckpointFile.Load(old);
        CheckpointFile.Save(copy.File("checkpoint.ckpt"), loaded); // the same checkpoint, written in format 3

        var (code, stdout, stderr) = BackpropAppTests.Run("evaluate", old, "--data", Repo.Data, "--device", "cpu", "--png", dir.File("cm.png"));
        var resumed = TrainRun.Execute(Request(dir.Path, new TrainOverrides(Epochs: 2), resume: old), new Recorder());
        var fromCopy = TrainRun.Execute(Request(copy.Path, new TrainOverrides(Epochs: 2), resume: copy.File("checkpoint.ckpt")), new Recorder());

        Assert.Equal(new TrainSettings(Hidden: 2, LearningRate: 0.1, Epochs: 1), loaded.Settings);
        Assert.True(code == 0, stderr);
        Assert.Contains("784-2-10 after 1 epoch(s), cross_entropy, autograd gradients", stdout);
        Assert.Equal(TrainStatus.Completed, resumed.Status);
        Assert.Equal([loaded.History[0], resumed.History[1]], resumed.History);
        var after = CheckpointFile.Load(old);
        Assert.Equal(3u, BitConverter.ToUInt32(File.ReadAllBytes(old), "backprop-checkpoint\n".Length));
        Assert.Equal(loaded.Settings with { Epochs = 2 }, after.Settings);
        Assert.Equal(CheckpointFile.Load(fromCopy.Folder.Checkpoint).Weights.SelectMany(w => w.Values), after.Weights.SelectMany(w => w.Values));
    }

    [Fact]
    public void A_run_folder_made_for_a_run_that_fails_before_its_first_epoch_is_removed_again()
    {
        using var dir = new TempDir();

        Assert.Throws<DataFileException>(() => TrainRun.Execute(Request(dir.File("new-run")) with { DataDir = dir.File("nothing") }, new Recorder()));

        Assert.False(Directory.Exists(dir.File("new-run")));
    }

    [Fact]
    public void Missing_data_says_where_it_looked()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<DataFileException>(() => TrainRun.Execute(Request(dir.Path) with { DataDir = dir.File("nothing") }, new Recorder()));

        Assert.Contains(dir.File("nothing"), e.Message);
    }

    [Fact]
    public void Mse_on_one_hot_targets_trains_well_above_chance_with_manual_gradients()
    {
        using var dir = new TempDir();

        var outcome = TrainRun.Execute(Request(dir.Path, new TrainOverrides(Loss: LossKind.Mse, Gradients: GradientKind.Manual, LearningRate: 2, Epochs: 1)), new Recorder());

        Assert.Equal(TrainStatus.Completed, outcome.Status);
        Assert.InRange(outcome.History[0].ValidAccuracy, 0.8, 1);
    }
}
