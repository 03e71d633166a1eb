using System.Globalization;

namespace Backprop.Cli.Runs;

/// <summary>
/// The folder a training run writes to (<c>--out</c>): its checkpoint, metrics and plots. Prepared before training
/// starts, so a folder that cannot be written fails in a second, not after the first epoch.
/// </summary>
/// <param name="Path">The folder, as given.</param>
internal sealed record RunFolder(string Path)
{
    /// <summary>The rolling checkpoint, rewritten atomically after every epoch.</summary>
    public string Checkpoint => Combine("checkpoint.ckpt");

    /// <summary>The per-epoch metrics, JSON Lines.</summary>
    public string Metrics => Combine("metrics.jsonl");

    /// <summary>Loss and accuracy curves.</summary>
    public string Curves => Combine("curves.png");

    /// <summary>A grid of misclassified validation digits.</summary>
    public string Misclassified => Combine("misclassified.png");

    /// <summary>TensorBoard's event files (<c>tensorboard --logdir runs</c>), see <see cref="TensorBoardLog"/>.</summary>
    public string TensorBoard => Combine("tensorboard");

    /// <summary>The default folder for a run started at <paramref name="now"/>: <c>runs/yyyyMMdd-HHmmss</c> under <paramref name="root"/>.</summary>
    public static string Default(string root, DateTime now) =>
        System.IO.Path.Combine(root, "runs", now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    /// <summary>Creates the folder if needed and proves that its checkpoint can be written, leaving any files in it as they are.</summary>
    /// <exception cref="RunFolderException">The folder cannot be created or written.</exception>
    public static RunFolder Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var folder = new RunFolder(path) { Created = !Directory.Exists(path) };
        try
        {
            if (File.Exists(path)) throw new IOException("it is a file, not a folder");
            Directory.CreateDirectory(path);
            AtomicFile.CheckWritable(folder.Checkpoint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw RunFolderException.OutputFolder(path, e.Message, e);
        }
        return folder;
    }

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

    /// <summary>The metrics file <paramref name="file"/> cannot be written; <paramref name="reason"/> is what the file system said.</summary>
    public static RunFolderException MetricsFile(string file, string reason, Exception? inner = null) =>
        new(file, $"cannot write the metrics file {file}: {reason.TrimEnd('.')}. Pass a file in a writable folder with --metrics.", inner);
}
