using Backprop.Data;
using Backprop.IO;
using Backprop.Performance;
using Backprop.Reporting;
using Backprop.Scratch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// A whole <c>backprop train</c> run: settle the settings (new, or resumed from a checkpoint), check the run folder before
/// anything slow, load MNIST, build the lesson's model on the chosen device, <see cref="Fit"/> it with a checkpoint and the
/// metrics after every epoch, stop on a non-finite loss or a cancellation, and draw the curves and the misclassified digits.
/// </summary>
public static class TrainRun
{
    /// <summary>Misclassified validation digits drawn in <see cref="RunFolder.Misclassified"/>.</summary>
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
        var folder = RunFolder.Prepare(request.OutDir ?? DefaultFolder(request, now ?? DateTime.Now));
        try
        {
            return Train(request, observer, resumed, settings, folder, cancel);
        }
        finally
        {
            folder.RemoveIfUnused();
        }
    }

    private static TrainOutcome Train(TrainRequest request, ITrainObserver observer, Checkpoint? resumed, TrainSettings settings, RunFolder folder, CancellationToken cancel)
    {
        if (request.MetricsFile is not null) ProbeWritable(request.MetricsFile);
        var device = DeviceChoice.Resolve(request.Device);
        CpuThreads.Apply(request.Threads, device);
        using var mnist = Mnist.Load(request.DataDir);

        manual_seed(settings.Seed);
        var (model, opt) = Models.GetModel(settings.LearningRate, settings.Hidden, device);
        using var disposeModel = model;
        using var disposeOpt = opt;
        if (resumed is not null)
        {
            ModelState.Restore(model, resumed.Weights, request.Resume!);
            RestoreRng(resumed.RngState, request.Resume!);
        }
        var (l1, l2) = ModelState.Layers(model);
        using var manual = settings.Gradients == GradientKind.Manual ? ManualClassifier.FromLinear(l1, l2) : null;
        var lossFunc = LossFunc.For(settings.Loss);
        ITrainStep step = manual is null ? new AutogradStep(model, lossFunc, opt) : new ManualStep(manual, settings.Loss, settings.LearningRate);
        using var dls = DataLoaders.GetDls(new Dataset(mnist.XTrain, mnist.YTrain), new Dataset(mnist.XValid, mnist.YValid), settings.BatchSize, device);

        var history = new List<EpochResult>(resumed?.History ?? []);
        var files = new List<string> { folder.Checkpoint, folder.Metrics };
        if (request.MetricsFile is not null) files.Add(request.MetricsFile);
        EpochResult? failed = null;
        var status = TrainStatus.Completed;
        observer.Started(new TrainStart(settings, device.ToString(), mnist.Source, folder, history.Count, dls.Train.Count));
        var options = new FitOptions
        {
            FirstEpoch = history.Count,
            CancellationToken = cancel,
            OnBatch = observer.Batch,
            OnEpoch = r =>
            {
                observer.Epoch(r);
                if (!double.IsFinite(r.TrainLoss) || !double.IsFinite(r.ValidLoss))
                {
                    failed = r;
                    return false;
                }
                history.Add(r);
                manual?.CopyTo(l1, l2);
                CheckpointFile.Save(folder.Checkpoint, new Checkpoint(settings, [.. history], ModelState.Capture(model),
                    new OptimizerState("sgd", settings.LearningRate, 0), CurrentRng()));
                MetricsLog.Write(folder.Metrics, history);
                if (request.MetricsFile is not null) MetricsLog.Write(request.MetricsFile, history);
                return true;
            },
        };
        try
        {
            Fit.Run(settings.Epochs - history.Count, step, lossFunc, dls.Train, dls.Valid, options);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            status = TrainStatus.Interrupted;
        }
        if (failed is not null) status = TrainStatus.Diverged;

        if (history.Count > 0)
        {
            AtomicFile.Save(folder.Curves, p => TrainingCurves.Save(history, p));
            files.Add(folder.Curves);
        }
        if (status != TrainStatus.Diverged && history.Count > 0)
        {
            DrawMisclassified(step, mnist, device, folder.Misclassified);
            files.Add(folder.Misclassified);
        }
        return new TrainOutcome(status, settings, history, folder, [.. files.Where(File.Exists)], failed);
    }

    private static string DefaultFolder(TrainRequest request, DateTime now) =>
        request.Resume is not null ? Path.GetDirectoryName(Path.GetFullPath(request.Resume))! : RunFolder.Default(Directory.GetCurrentDirectory(), now);

    private static void ProbeWritable(string path)
    {
        try
        {
            AtomicFile.CheckWritable(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw RunFolderException.MetricsFile(path, e.Message, e);
        }
    }

    private static byte[] CurrentRng()
    {
        using var state = torch.random.get_rng_state();
        return state.data<byte>().ToArray();
    }

    private static void RestoreRng(byte[] bytes, string file)
    {
        try
        {
            using var state = tensor(bytes, ScalarType.Byte);
            torch.random.set_rng_state(state);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointException(file, $"holds a random state torch does not accept ({e.Message}); train again", e);
        }
    }

    private static void DrawMisclassified(ITrainStep step, Mnist mnist, Device device, string path)
    {
        step.SetTraining(false);
        var eval = Evaluation.Run(step.Predict, mnist.XValid, mnist.YValid, device);
        var wrong = eval.Misclassified(GridDigits);
        if (wrong.Count == 0) return;
        var digits = wrong.Select(i =>
        {
            using var x = mnist.XValid[i];
            return new MisclassifiedGrid.Digit(x.cpu().data<float>().ToArray(), eval.Predictions[i], eval.Targets[i]);
        }).ToList();
        AtomicFile.Save(path, p => MisclassifiedGrid.Save(digits, p));
    }
}
