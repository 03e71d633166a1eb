using System.Globalization;
using System.Text.RegularExpressions;
using Backprop.Data;

namespace Backprop.Cli.Runs;

/// <summary>
/// The folder a training run writes to (<c>--out</c>): its checkpoint, metrics and plots. Prepared before training
/// starts, so a folder that cannot be written fails in a second, not after the first epoch.
/// </summary>
/// <param name="Path">The folder, as given.</param>
internal sealed partial record RunFolder(string Path) : IDisposable
{
    private FileStream? _lock;

    /// <summary>The lock a run holds on its folder (flock(2), so a killed run leaves none); it holds the run's process id.</summary>
    public string LockFile => Combine(".backprop.lock");

    private string PidFile => Combine(".backprop.pid");

    /// <summary>The rolling checkpoint, rewritten atomically after every epoch.</summary>
    public string Checkpoint => Combine("checkpoint.ckpt");

    /// <summary>The per-epoch metrics, JSON Lines.</summary>
    public string Metrics => Combine("metrics.jsonl");

    /// <summary>Loss and accuracy curves.</summary>
    public string Curves => Combine("curves.png");

    /// <summary>The validation digits with the highest loss (fastai's plot_top_losses).</summary>
    public string TopLosses => Combine("top_losses.png");

    /// <summary>TensorBoard's event files (<c>tensorboard --logdir runs</c>), see <see cref="TensorBoardLog"/>.</summary>
    public string TensorBoard => Combine("tensorboard");

    /// <summary>
    /// The default folder for a run started at <paramref name="now"/>: <c>runs/yyyyMMdd-HHmmss</c> under <paramref name="root"/>,
    /// or, when a run started in the same second already has it, the first of <c>-2</c>, <c>-3</c>, ... after the name that is free.
    /// </summary>
    public static string Default(string root, DateTime now)
    {
        var name = System.IO.Path.Combine(root, "runs", now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        var path = name;
        for (var n = 2; Directory.Exists(path) || File.Exists(path); n++) path = $"{name}-{n}";
        return path;
    }

    /// <summary>The files of a run's results that a folder may already hold: what <see cref="Prepare"/> refuses to replace.</summary>
    private IEnumerable<string> Results => [Checkpoint, Metrics, Curves, TopLosses];

    /// <summary>
    /// Creates the folder if needed, takes its lock (refusing a folder another run holds, naming that run's process id),
    /// refuses a folder that holds another run's results (unless <paramref name="resume"/> is its own checkpoint or
    /// <paramref name="overwrite"/> is set), removes the temporary files a killed run left, and proves that its checkpoint
    /// can be written, leaving its files as they are. Dispose the result to release the folder.
    /// </summary>
    /// <param name="path">The folder (<c>--out</c>).</param>
    /// <param name="resume">The checkpoint the run continues (<c>--resume</c>), if any.</param>
    /// <param name="overwrite">Whether the run may replace another run's results there (<c>--overwrite</c>); they are removed
    /// only when this run has its first epoch to put in their place (<see cref="ReplacePrevious"/>).</param>
    /// <exception cref="RunFolderException">The folder cannot be created or written, another run holds it, or it holds another run's results.</exception>
    public static RunFolder Prepare(string path, string? resume = null, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = new RunFolder(path) { Created = !Directory.Exists(path) };
        try
        {
            if (File.Exists(path)) throw new IOException("it is a file, not a folder");
            if (FirstFileAbove(path) is { } file) throw new IOException($"{file} is a file, not a folder");
            Directory.CreateDirectory(path);
            folder.Lock();
            foreach (var own in folder.Results)
                if (PlainFile.Kind(own, followLinks: false) is { } kind)
                    throw new IOException($"{System.IO.Path.GetFileName(own)} in it is {kind}, not a regular file; remove it");
            var previous = folder.PreviousResults();
            if (previous.Count > 0 && !overwrite && !(resume is not null && AtomicFile.SameFile(resume, folder.Checkpoint)))
                throw RunFolderException.OtherRun(path, previous);
            folder._previous = overwrite ? previous : [];
            foreach (var stale in Directory.EnumerateFiles(path, ".*").Where(f => TempName().IsMatch(System.IO.Path.GetFileName(f))))
                File.Delete(stale);
            AtomicFile.CheckWritable(folder.Checkpoint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            folder.Dispose();
            throw RunFolderException.OutputFolder(path, e.Message, e);
        }
        catch (RunFolderException)
        {
            folder.Dispose();
            throw;
        }
        return folder;
    }

    private List<string> _previous = [];

    // The names of another run's results in the folder: its checkpoint, metrics, plots and TensorBoard event files.
    private List<string> PreviousResults()
    {
        var found = Results.Where(f => File.Exists(f)).ToList();
        if (Directory.Exists(TensorBoard)) found.AddRange(Directory.EnumerateFiles(TensorBoard, "events.out.tfevents.*"));
        return found;
    }

    /// <summary>
    /// With <c>--overwrite</c>, removes what is left of the previous run's results once this run has its first epoch to
    /// write (its plots and TensorBoard events; the checkpoint and metrics are replaced atomically): until then the folder
    /// keeps them, so a run that fails at once loses nothing.
    /// </summary>
    public void ReplacePrevious()
    {
        foreach (var file in _previous.Where(f => f != Checkpoint && f != Metrics)) File.Delete(file);
        _previous = [];
    }

    // A run folder below a file (--out afile/x) is refused naming the file, not as "the folder does not exist".
    private static string? FirstFileAbove(string path)
    {
        for (var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = System.IO.Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir)) return null;
            if (File.Exists(dir)) return dir;
        }
        return null;
    }

    /// <summary>
    /// Removes the run folders under <paramref name="runs"/> that a killed run left with nothing in them but its lock, its
    /// pid file and temporary files (a run killed with SIGKILL before its first epoch): only folders whose lock is free.
    /// </summary>
    public static void RemoveAbandoned(string runs)
    {
        if (!Directory.Exists(runs)) return;
        foreach (var dir in Directory.EnumerateDirectories(runs))
        {
            try
            {
                var names = Directory.EnumerateFileSystemEntries(dir).Select(System.IO.Path.GetFileName).ToArray();
                if (names.Length == 0 || !names.All(n => n is ".backprop.lock" or ".backprop.pid" || TempName().IsMatch(n!))) continue;
                using var abandoned = new RunFolder(dir);
                abandoned.Lock(); // throws while a live run holds it
                abandoned._lock!.Dispose();
                abandoned._lock = null;
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or RunFolderException)
            {
                // held by a live run, or not ours to remove: leave it
            }
        }
    }

    private void Lock()
    {
        // The lock and the pid file are this folder's own: a link, FIFO or device in their place is refused, never followed or read.
        try
        {
            _lock = PlainFile.OpenLocked(LockFile) ?? throw RunFolderException.Busy(Path, Holder());
        }
        catch (NotPlainFileException e)
        {
            throw new IOException($".backprop.lock in it is {e.Kind}, not a regular file; remove it", e);
        }
        if (PlainFile.Kind(PidFile, followLinks: false) is { } kind) throw new IOException($".backprop.pid in it is {kind}, not a regular file; remove it");
        AtomicFile.WriteText(PidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)); // rename(2) replaces, never follows
    }

    // The process id the holder wrote, read as a plain file of a few bytes at most.
    private string Holder()
    {
        try
        {
            using var f = PlainFile.OpenRead(PidFile, followLinks: false);
            Span<byte> digits = stackalloc byte[16];
            var text = System.Text.Encoding.ASCII.GetString(digits[..f.ReadAtLeast(digits, digits.Length, throwOnEndOfStream: false)]).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid.ToString(CultureInfo.InvariantCulture) : "unknown";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    /// <summary>Releases the folder's lock, and removes the folder if this run created it and wrote nothing to it.</summary>
    public void Dispose()
    {
        if (_lock is not null)
        {
            TryDelete(PidFile);
            TryDelete(LockFile); // while still held: a run that opened it meanwhile fails its own lock, never shares it
            _lock.Dispose();
            _lock = null;
        }
        RemoveIfUnused();
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // replaced by a folder meanwhile: not ours to remove
        }
    }

    // AtomicFile's temporary names for the run's files: .checkpoint.<32 hex>.ckpt, ..backprop.<32 hex>.pid and the like.
    [GeneratedRegex(@"^\.(checkpoint|metrics|curves|top_losses|\.backprop)\.[0-9a-f]{32}\.(ckpt|jsonl|png|pid)$")]
    private static partial Regex TempName();

    /// <summary>Whether <see cref="Prepare"/> created the folder (it did not exist before).</summary>
    public bool Created { get; private init; }

    /// <summary>Removes the folder if <see cref="Prepare"/> created it and nothing was written to it (a run that failed or stopped before its first epoch).</summary>
    public void RemoveIfUnused()
    {
        if (Created && Directory.Exists(Path) && !Directory.EnumerateFileSystemEntries(Path).Any()) Directory.Delete(Path);
    }

    private string Combine(string name) => System.IO.Path.Combine(Path, name);
}

/// <summary>Something a run writes cannot be created or written: its output folder (<c>--out</c>) or its metrics file (<c>--metrics</c>).</summary>
internal sealed class RunFolderException : Exception
{
    private RunFolderException(string path, string message, Exception? inner) : base(message, inner) => Folder = path;

    /// <summary>The folder, or the metrics file.</summary>
    public string Folder { get; }

    /// <summary>The output folder <paramref name="folder"/> cannot be created or written; <paramref name="reason"/> is what the file system said.</summary>
    public static RunFolderException OutputFolder(string folder, string reason, Exception? inner = null) =>
        new(folder, $"cannot write to the output folder {folder}: {reason.TrimEnd('.')}. Pass a writable folder with --out.", inner);

    /// <summary>Another run (process <paramref name="pid"/>) holds <paramref name="folder"/>.</summary>
    public static RunFolderException Busy(string folder, string pid, Exception? inner = null) =>
        new(folder, $"the run folder {folder} is in use by another backprop run (process {pid}); wait for it to end, or pass another folder with --out.", inner);

    /// <summary>Writing <paramref name="file"/> failed mid-run; <paramref name="kept"/> says what survives.</summary>
    public static RunFolderException WriteFailed(string file, string reason, string kept, Exception? inner = null) =>
        new(file, $"cannot write {file}: {reason.TrimEnd('.')}. {kept}", inner);

    /// <summary>The folder holds the results of another run (<paramref name="found"/>), which this run would replace.</summary>
    public static RunFolderException OtherRun(string folder, IReadOnlyList<string> found) =>
        new(folder, $"the run folder {folder} holds another run's results ({string.Join(", ", found.Select(f => System.IO.Path.GetRelativePath(folder, f)).Take(5))}{(found.Count > 5 ? ", ..." : "")}); " +
            $"continue that run with --resume {System.IO.Path.Combine(folder, "checkpoint.ckpt")}, pass another folder with --out, or pass --overwrite to replace them.", null);

    /// <summary>An output option names a file the run may not replace.</summary>
    public static RunFolderException Refused(string file, string option, string why) =>
        new(file, $"will not write {file} ({option}): {why}.", null);

    /// <summary>The metrics file <paramref name="file"/> cannot be written; <paramref name="reason"/> is what the file system said.</summary>
    public static RunFolderException MetricsFile(string file, string reason, Exception? inner = null) =>
        new(file, $"cannot write the metrics file {file}: {reason.TrimEnd('.')}. Pass a file in a writable folder with --metrics.", inner);
}
