namespace Backprop.Training;

/// <summary>Something a run writes cannot be created or written: its output folder (<c>--out</c>) or its metrics file (<c>--metrics</c>).</summary>
public sealed class RunFolderException : Exception
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
