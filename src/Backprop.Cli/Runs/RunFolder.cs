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

    /// <summary>The default folder for a run started at <paramref name="now"/>: <c>runs/yyyyMMdd-HHmmss</c> under <paramref name="root"/>.</summary>
    public static string Default(string root, DateTime now) =>
        System.IO.Path.Combine(root, "runs", now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    /// <summary>
    /// Creates the folder if needed, takes its lock (refusing a folder another run holds, naming that run's process id),
    /// removes the temporary files a killed run left, and proves that its checkpoint can be written, leaving its files as they are.
    /// Dispose the result to release the folder.
    /// </summary>
    /// <exception cref="RunFolderException">The folder cannot be created or written, or another run holds it.</exception>
    public static RunFolder Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = new RunFolder(path) { Created = !Directory.Exists(path) };
        try
        {
            if (File.Exists(path)) throw new IOException("it is a file, not a folder");
            Directory.CreateDirectory(path);
            folder.Lock();
            foreach (var file in new[] { folder.Checkpoint, folder.Metrics, folder.Curves, folder.TopLosses })
                if (FileKind.NotRegularFile(file, followLinks: false) is { } kind)
                    throw new IOException($"{System.IO.Path.GetFileName(file)} in it is {kind}, not a regular file; remove it");
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
        try
        {
            _lock = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(LockFile))
        {
            var pid = File.Exists(PidFile) ? File.ReadAllText(PidFile).Trim() : "unknown";
            throw RunFolderException.Busy(Path, pid, e);
        }
        File.WriteAllText(PidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Releases the folder's lock, and removes the folder if this run created it and wrote nothing to it.</summary>
    public void Dispose()
    {
        if (_lock is not null)
        {
            File.Delete(PidFile);
            File.Delete(LockFile); // while still held: a run that opened it meanwhile fails its own lock, never shares it
            _lock.Dispose();
            _lock = null;
        }
        RemoveIfUnused();
    }

    // AtomicFile's temporary names for the run's files: .checkpoint.<32 hex>.ckpt and the like.
    [GeneratedRegex(@"^\.(checkpoint|metrics|curves|top_losses)\.[0-9a-f]{32}\.(ckpt|jsonl|png)$")]
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

    /// <summary>An output option names a file the run may not replace.</summary>
    public static RunFolderException Refused(string file, string option, string why) =>
        new(file, $"will not write {file} ({option}): {why}.", null);

    /// <summary>The metrics file <paramref name="file"/> cannot be written; <paramref name="reason"/> is what the file system said.</summary>
    public static RunFolderException MetricsFile(string file, string reason, Exception? inner = null) =>
        new(file, $"cannot write the metrics file {file}: {reason.TrimEnd('.')}. Pass a file in a writable folder with --metrics.", inner);
}
