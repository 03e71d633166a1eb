using Backprop.Data;
using Backprop.Native;
using Backprop.Scratch;
using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Cli.Runs;

/// <summary>
/// A whole <c>backprop train</c> run, the lesson's final stage as an application: <see cref="Execute"/> settles what to
/// run (new, or resumed from a checkpoint) and takes the run folder before anything slow; <see cref="Train"/> is the
/// training template, top to bottom: the data, the model and optimizer, the loaders, <see cref="Fit"/> with a checkpoint
/// and the metrics after every epoch, and the plots at the end. Its collaborators each keep one concern:
/// <see cref="RunFolder"/> (the folder and its lock), <see cref="Checkpoint"/> (resume), <see cref="RunRecords"/> (every
/// file the run keeps), <see cref="LossRecorder"/> and <see cref="TensorBoardLog"/> (watchers in front of the display).
/// </summary>
internal static class TrainRun
{
    /// <summary>The validation digits with the highest loss drawn in <see cref="RunFolder.TopLosses"/>.</summary>
    public const int GridDigits = 40;

    /// <summary>Runs <paramref name="request"/>, reporting to <paramref name="observer"/>.</summary>
    /// <param name="request">What to train, where from, where to.</param>
    /// <param name="observer">Sees the start, every batch and every epoch.</param>
    /// <param name="now">The clock for the default run folder's name; <see langword="null"/> for now.</param>
    /// <param name="cancel">Stops the run between batches; the last complete epoch's checkpoint stays.</param>
    /// <exception cref="CheckpointException">The checkpoint to resume is missing, foreign or damaged.</exception>
    /// <exception cref="TrainSettingsException">The options contradict the checkpoint.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="RunFolderException">The run folder or the metrics file cannot be written.</exception>
    /// <exception cref="DeviceChoiceException">The device is unknown or not available.</exception>
    /// <exception cref="DataFileException">The data is missing or damaged.</exception>
    public static TrainOutcome Execute(TrainRequest request, ITrainObserver observer, DateTime? now = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(observer);
        var resumed = request.Resume is null ? null : CheckpointFile.Load(request.Resume);
        var settings = resumed is null ? request.Overrides.ForNewRun() : request.Overrides.ForResume(resumed.Settings, resumed.Epochs);
        var path = request.OutDir ?? DefaultFolder(request, now ?? DateTime.Now);
        if (request.OutDir is null && request.Resume is null) RunFolder.RemoveAbandoned(Path.GetDirectoryName(path)!); // runs/ of killed runs
        using var folder = RunFolder.Prepare(path, request.Resume, request.Overwrite);
        if (request.MetricsFile is { } copy) RunRecords.CheckMetricsCopy(copy, folder, request.Resume);
        return Train(request, settings, resumed, folder, observer, cancel);
    }

    /// <summary>The training template: MNIST, the lesson's model, <see cref="Fit"/> with its per-epoch hook, the plots.</summary>
    private static TrainOutcome Train(TrainRequest request, TrainSettings settings, Checkpoint? resumed, RunFolder folder, ITrainObserver display, CancellationToken cancel)
    {
        // The data, on the device asked for; torch's CPU threads chosen by the step's work.
        var device = DeviceChoice.Resolve(request.Device);
        CpuThreads.Apply(request.Threads, device, settings.BatchSize, settings.Hidden.Widths);
        using var mnist = Mnist.Load(request.DataDir);

        // The model and optimizer: the lesson's get_model from the seed (a resumed run's weights and random state on top),
        // and the step: autograd's, or lesson 03's backward by hand.
        manual_seed(settings.Seed);
        var (model, opt) = Models.GetModel(settings.LearningRate, settings.Hidden.Widths, device);
        using var disposeModel = model;
        using var disposeOpt = opt;
        resumed?.Restore(model, request.Resume!);
        using var manual = settings.Gradients == GradientKind.Manual ? ManualClassifier.FromLinear(ModelState.Layers(model)) : null;
        var lossFunc = LossFunc.For(settings.Loss);
        ITrainStep step = manual is null ? new AutogradStep(model, lossFunc, opt) : new ManualStep(manual, settings.Loss, settings.LearningRate);

        // The loaders: the lesson's get_dls, shuffled training batches of bs, validation batches of 2 × bs.
        using var dls = DataLoaders.GetDls(new Dataset(mnist.XTrain, mnist.YTrain), new Dataset(mnist.XValid, mnist.YValid), settings.BatchSize, device);

        // What the run keeps, and who watches it: every batch's loss (for the curves), then TensorBoard, then the display.
        var kernels = CpuKernels.Current; // as the runner pinned them before anything ran, or as libtorch chose
        var records = new RunRecords(folder, settings, resumed, kernels, request.MetricsFile);
        var tensorBoard = new TensorBoardLog(display);
        using var recorder = new LossRecorder(tensorBoard);
        var firstEpoch = records.History.Count + 1;
        recorder.Started(new TrainStart(settings, device.ToString(), mnist.Source, folder, firstEpoch, dls.Train.Count, dls.Valid.Count) { Kernels = kernels.ToString() });

        // The fit: after every epoch its checkpoint and metrics; a loss that is not finite stops it, Ctrl+C stops it between batches.
        var options = new FitOptions
        {
            FirstEpoch = firstEpoch,
            CancellationToken = cancel,
            OnBatch = recorder.Batch,
            OnValidationBatch = recorder.Validation,
            OnEpoch = r =>
            {
                recorder.Epoch(r);
                return records.Save(r, model, manual);
            },
        };
        var status = TrainStatus.Completed;
        try
        {
            using var graceful = StopSignal.Graceful(); // only here does a first Ctrl+C wait for the batch to end
            Fit.Run(settings.Epochs - records.History.Count, step, lossFunc, dls.Train, dls.Valid, options);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            status = TrainStatus.Interrupted;
        }
        if (records.Diverged is not null) status = TrainStatus.Diverged;

        // The end: the curves of every epoch kept and, unless the loss diverged, the validation digits of highest loss.
        var epochs = records.History.Count;
        if (epochs > 0) records.Plot(folder.Curves, png => TrainingCurves.Save(records.History, recorder.Losses, png));
        if (epochs > 0 && status != TrainStatus.Diverged)
        {
            step.SetTraining(false);
            var worst = TopLossesPlot.Worst(step.Predict, mnist.XValid, mnist.YValid, device, GridDigits);
            records.Plot(folder.TopLosses, png => TopLossesPlot.Save(worst, png, TopLossesPlot.Title(settings, epochs)));
            tensorBoard.Image("valid/top_losses", folder.TopLosses, epochs);
        }
        return new TrainOutcome(status, settings, records.History, folder, records.Files(tensorBoard.EventFile), records.Diverged, firstEpoch, tensorBoard.Problem, recorder.Losses);
    }

    private static string DefaultFolder(TrainRequest request, DateTime now) =>
        request.Resume is not null ? Path.GetDirectoryName(Path.GetFullPath(request.Resume))! : RunFolder.Default(Directory.GetCurrentDirectory(), now);
}

/// <summary>What <c>backprop train</c> was asked to do, before anything is checked or loaded.</summary>
internal sealed record TrainRequest
{
    /// <summary>The settings given explicitly; the rest come from the defaults or the resumed checkpoint.</summary>
    public TrainOverrides Overrides { get; init; } = new();

    /// <summary>Where MNIST is (<c>--data</c>): a folder with the IDX files (or <c>mnist/</c> holding them), or the course's <c>mnist.pkl.gz</c> or a folder holding it.</summary>
    public string DataDir { get; init; } = "data";

    /// <summary>The device (<c>--device</c>): cpu, cuda, cuda:N or auto.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>The run folder (<c>--out</c>); <see langword="null"/> for <c>runs/&lt;timestamp&gt;</c>, or the checkpoint's folder when resuming.</summary>
    public string? OutDir { get; init; }

    /// <summary>The checkpoint to continue (<c>--resume</c>); <see langword="null"/> for a new run.</summary>
    public string? Resume { get; init; }

    /// <summary>torch's intra-op threads on the CPU (<c>--threads</c>); <see langword="null"/> for <see cref="CpuThreads.ForStep"/>'s choice.</summary>
    public int? Threads { get; init; }

    /// <summary>Whether the run may replace another run's results in <see cref="OutDir"/> (<c>--overwrite</c>).</summary>
    public bool Overwrite { get; init; }

    /// <summary>An extra copy of the per-epoch metrics, JSON Lines (<c>--metrics</c>).</summary>
    public string? MetricsFile { get; init; }
}

/// <summary>What a run is about to do, once its settings, device, data and folder are settled.</summary>
/// <param name="Settings">The settings in force.</param>
/// <param name="Device">The device, e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="DataSource">Where the data came from.</param>
/// <param name="Folder">The run folder.</param>
/// <param name="FirstEpoch">The first epoch to train, from 1 (above 1 when resuming).</param>
/// <param name="BatchesPerEpoch">Training batches per epoch.</param>
/// <param name="ValidBatchesPerEpoch">Validation batches per epoch.</param>
internal sealed record TrainStart(TrainSettings Settings, string Device, string DataSource, RunFolder Folder, int FirstEpoch, int BatchesPerEpoch, int ValidBatchesPerEpoch)
{
    /// <summary>The CPU kernels the run trains on (<see cref="CpuKernelsState"/>'s line).</summary>
    public string Kernels { get; init; } = "";
}

/// <summary>How a run ended.</summary>
internal enum TrainStatus
{
    /// <summary>Every epoch was trained.</summary>
    Completed,

    /// <summary>The loss turned NaN or infinite; the checkpoint of the last good epoch was kept.</summary>
    Diverged,

    /// <summary>Cancelled (Ctrl+C) between batches; the checkpoint of the last complete epoch was kept.</summary>
    Interrupted,
}

/// <summary>How a run ended and what it left behind.</summary>
/// <param name="Status">Completed, diverged or interrupted.</param>
/// <param name="Settings">The settings in force.</param>
/// <param name="History">Every good epoch of the run, including those of a resumed checkpoint.</param>
/// <param name="Folder">The run folder.</param>
/// <param name="Files">The files written, checkpoint first.</param>
/// <param name="Failed">The epoch whose loss was not finite, when <paramref name="Status"/> is <see cref="TrainStatus.Diverged"/>.</param>
/// <param name="FirstEpoch">The first epoch this run trained, from 1 (after a resume, the one after the checkpoint's last).</param>
/// <param name="Warning">Something that went wrong without harming the run (the TensorBoard events could not be written).</param>
/// <param name="BatchLosses">Every batch's loss of each epoch this run trained and kept, by epoch (what <c>curves.png</c> draws).</param>
internal sealed record TrainOutcome(TrainStatus Status, TrainSettings Settings, IReadOnlyList<EpochResult> History, RunFolder Folder,
    IReadOnlyList<string> Files, EpochResult? Failed = null, int FirstEpoch = 1, string? Warning = null, IReadOnlyDictionary<int, float[]>? BatchLosses = null);

/// <summary>Watches a <see cref="TrainRun"/>: the console runner's live display, a test's recorder.</summary>
internal interface ITrainObserver
{
    /// <summary>Called once, before the first epoch.</summary>
    void Started(TrainStart start);

    /// <summary>Called after every training batch (see <see cref="BatchProgress.RunningLoss"/> for what reading the loss costs).</summary>
    void Batch(BatchProgress progress);

    /// <summary>Called after every validation batch.</summary>
    void Validation(ValidationProgress progress);

    /// <summary>Called after every epoch, including one whose loss is not finite.</summary>
    void Epoch(EpochResult result);
}
