namespace Backprop.Training;

/// <summary>The output folder of a run (<c>--out</c>) cannot be created or written.</summary>
/// <param name="folder">The folder.</param>
/// <param name="reason">What the file system said.</param>
/// <param name="inner">The underlying error.</param>
public sealed class RunFolderException(string folder, string reason, Exception? inner = null)
    : Exception($"cannot write to the output folder {folder}: {reason.TrimEnd('.')}. Pass a writable folder with --out.", inner)
{
    /// <summary>The folder.</summary>
    public string Folder { get; } = folder;
}
