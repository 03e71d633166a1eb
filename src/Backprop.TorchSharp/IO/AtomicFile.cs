namespace Backprop.IO;

/// <summary>
/// Writes a file all or nothing: into a temporary file in the same folder, flushed to disk, then renamed over the target.
/// A crash or Ctrl+C mid-write leaves the old file (or none), never half of the new one.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes what <paramref name="write"/> puts in the stream to <paramref name="path"/>, replacing it atomically.</summary>
    /// <exception cref="IOException">The folder cannot be written; the temporary file is removed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/>, replacing it atomically.</summary>
    public static void WriteText(string path, string text) =>
        Write(path, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));

    /// <summary>Has <paramref name="save"/> write to a temporary path (for libraries that write files themselves), then renames it to <paramref name="path"/>.</summary>
    /// <param name="path">The target, e.g. <c>curves.png</c>.</param>
    /// <param name="save">Writes a complete file to the path it is given (which keeps <paramref name="path"/>'s extension).</param>
    public static void Save(string path, Action<string> save)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(save);
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileNameWithoutExtension(full)}.{Guid.NewGuid():N}{Path.GetExtension(full)}");
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
}
