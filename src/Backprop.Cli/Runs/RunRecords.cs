using Backprop.Native;
using Backprop.Scratch;
using Backprop.Training;
using TorchSharp.Modules;

namespace Backprop.Cli.Runs;

/// <summary>
/// What a run keeps in its <see cref="RunFolder"/>. After every epoch whose loss is finite: the checkpoint (weights,
/// optimizer, random state, the CPU kernels of each epoch), then <c>metrics.jsonl</c> and <c>--metrics</c>'s copy, so the
/// metrics never list an epoch the checkpoint lacks; at the end, the plots. Every file is replaced atomically, and a write
/// that fails (a full disk, a folder turned read-only) ends the run with a <see cref="RunFolderException"/> that says
/// which checkpoint survives and how to continue from it.
/// </summary>
internal sealed class RunRecords
{
    private readonly RunFolder _folder;
    private readonly TrainSettings _settings;
    private readonly EpochKernels _kernels;
    private readonly string? _metricsCopy;
    private readonly List<EpochResult> _history;
    private readonly List<EpochKernels?> _epochKernels;
    private readonly List<string> _files;

    /// <summary>Records into <paramref name="folder"/> a run of <paramref name="settings"/> on <paramref name="kernels"/>, continuing <paramref name="resumed"/>'s epochs when given.</summary>
    /// <param name="folder">The run folder, prepared.</param>
    /// <param name="settings">The settings in force.</param>
    /// <param name="resumed">The checkpoint the run continues, or <see langword="null"/>.</param>
    /// <param name="kernels">The CPU kernels this run trains on, recorded with each of its epochs.</param>
    /// <param name="metricsCopy">Where <c>--metrics</c> puts another copy of the metrics, or <see langword="null"/>.</param>
    public RunRecords(RunFolder folder, TrainSettings settings, Checkpoint? resumed, CpuKernelsState kernels, string? metricsCopy)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        (_folder, _settings, _kernels, _metricsCopy) = (folder, settings, EpochKernels.From(kernels), metricsCopy);
        _history = [.. resumed?.History ?? []];
        _epochKernels = [.. resumed?.Kernels ?? []];
        while (_epochKernels.Count < _history.Count) _epochKernels.Add(null); // a checkpoint from before they were recorded
        _files = [];
    }

    /// <summary>
    /// Refuses <c>--metrics</c>'s <paramref name="file"/> before anything slow runs: one of the run's own files or the
    /// checkpoint it resumes, a file that holds something other than JSON, or one that cannot be written.
    /// </summary>
    /// <exception cref="RunFolderException">The file may not or cannot be written.</exception>
    public static void CheckMetricsCopy(string file, RunFolder folder, string? resume)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string[] taken = [folder.Checkpoint, folder.Metrics, folder.Curves, folder.TopLosses, .. resume is null ? [] : new[] { resume }];
        if (AtomicFile.Refusal(file, "{"u8, taken) is { } why) throw RunFolderException.Refused(file, "--metrics", why);
        try
        {
            AtomicFile.CheckWritable(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw RunFolderException.MetricsFile(file, e.Message, e);
        }
    }

    /// <summary>Every epoch kept: the resumed checkpoint's, then this run's.</summary>
    public IReadOnlyList<EpochResult> History => _history;

    /// <summary>The epoch whose loss was not finite, which ended the run; <see langword="null"/> while none was.</summary>
    public EpochResult? Diverged { get; private set; }

    /// <summary>
    /// Keeps epoch <paramref name="r"/>: the checkpoint of <paramref name="model"/> (trained by <paramref name="manual"/>
    /// when given) with torch's random state now, then the metrics. An epoch whose loss is not finite is not kept.
    /// </summary>
    /// <returns>Whether training may go on: <see langword="false"/> when the loss diverged.</returns>
    /// <exception cref="RunFolderException">A file could not be written.</exception>
    public bool Save(EpochResult r, Sequential model, ManualClassifier? manual)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (!double.IsFinite(r.TrainLoss) || !double.IsFinite(r.ValidLoss))
        {
            Diverged = r;
            return false;
        }
        _folder.ReplacePrevious(); // --overwrite: the other run's plots and events go once this run has an epoch to keep
        var checkpoint = new Checkpoint(_settings, [.. _history, r], ModelState.Capture(model, manual), new OptimizerState("sgd", _settings.LearningRate, 0), RandomState.Capture())
        {
            Kernels = [.. _epochKernels, _kernels],
        };
        Write(_folder.Checkpoint, () => CheckpointFile.Save(_folder.Checkpoint, checkpoint));
        _history.Add(r);
        _epochKernels.Add(_kernels);
        Write(_folder.Metrics, () => MetricsLog.Write(_folder.Metrics, _history, _epochKernels));
        if (_metricsCopy is { } copy) Write(copy, () => MetricsLog.Write(copy, _history, _epochKernels));
        if (_files.Count == 0) _files.AddRange([_folder.Checkpoint, _folder.Metrics, .. _metricsCopy is null ? [] : new[] { _metricsCopy }]);
        return true;
    }

    /// <summary>Has <paramref name="save"/> draw the PNG <paramref name="png"/> (to a temporary path, then renamed into place).</summary>
    /// <exception cref="RunFolderException">The file could not be written.</exception>
    public void Plot(string png, Action<string> save)
    {
        Write(png, () => AtomicFile.Save(png, save));
        _files.Add(png);
    }

    /// <summary>
    /// The files this run wrote, checkpoint first, then the metrics, the plots and <paramref name="eventFile"/>
    /// (TensorBoard's): none of a previous run's, which a run that kept no epoch leaves as they were.
    /// </summary>
    public IReadOnlyList<string> Files(string? eventFile) => [.. _files.Append(eventFile).OfType<string>().Where(File.Exists)];

    // A disk that fills or turns read-only ends the run with what survives, and how to continue, not a crash.
    private void Write(string file, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var kept = _history.Count == 0 || !File.Exists(_folder.Checkpoint)
                ? "No checkpoint was kept."
                : $"The last good checkpoint, {_folder.Checkpoint}, is intact; free space or fix the folder, then continue with: {Invocation.Command("train", "--resume", _folder.Checkpoint)}";
            throw RunFolderException.WriteFailed(file, e.Message, kept, e);
        }
    }
}
