namespace Backprop.Cli;

/// <summary>
/// Writes a file all or nothing: into a temporary file in the same folder, then renamed over the target.
/// A crash or Ctrl+C mid-write leaves the old file (or none), never half of the new one.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes what <paramref name="write"/> puts in the stream to <paramref name="path"/>, flushed to disk, replacing it atomically.</summary>
    /// <exception cref="IOException">The folder cannot be written; the temporary file is removed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Save(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            write(stream);
            stream.Flush(flushToDisk: true);
        });
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/>, replacing it atomically.</summary>
    public static void WriteText(string path, string text) =>
        Write(path, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));

    /// <summary>Has <paramref name="save"/> write to a temporary path (for libraries that write files themselves), then renames it to <paramref name="path"/>.</summary>
    /// <param name="path">The target, e.g. <c>curves.png</c>.</param>
    /// <param name="save">Writes a complete file to the path it is given (which keeps <paramref name="path"/>'s extension).</param>
    public static void Save(string path, Action<string> save)
    {
        ArgumentNullException.ThrowIfNull(save);
        var full = FullPath(path);
        var temp = TempFor(full);
        try
        {
            save(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Proves, without touching <paramref name="path"/>, that an atomic write to it can succeed: it is not a folder, and its
    /// folder exists and takes a new file. A file already at <paramref name="path"/> stays as it is.
    /// </summary>
    /// <exception cref="IOException">The path is a folder, its folder is missing, or the folder cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be written.</exception>
    public static void CheckWritable(string path)
    {
        var full = FullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{full} is a folder");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"the folder {dir} does not exist");
        var temp = TempFor(full);
        try
        {
            using (new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None)) { }
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static string FullPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Path.GetFullPath(path);
    }

    // A hidden name in the target's folder (so the rename stays on one file system), unique, with the target's extension.
    private static string TempFor(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.{Guid.NewGuid():N}{Path.GetExtension(full)}");
}
