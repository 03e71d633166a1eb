using System.Collections.Concurrent;
using Backprop.Data;

namespace Backprop.Cli;

/// <summary>
/// Writes a file all or nothing: into a temporary file in the same folder, then renamed over the target.
/// A crash or Ctrl+C mid-write leaves the old file (or none), never half of the new one.
/// </summary>
internal static class AtomicFile
{
    // Temporary files being written; a process that exits mid-write (a signal, Environment.Exit) removes them on the way out.
    private static readonly ConcurrentDictionary<string, byte> Pending = new();

    static AtomicFile() => AppDomain.CurrentDomain.ProcessExit += (_, _) => RemovePending();

    /// <summary>Removes the temporary files of writes under way, for a process about to end mid-write.</summary>
    public static void RemovePending()
    {
        foreach (var temp in Pending.Keys) TryDelete(temp);
    }

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
        Pending[temp] = 0;
        try
        {
            save(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
            Pending.TryRemove(temp, out _);
        }
    }

    /// <summary>
    /// Why a command may not write its output to <paramref name="path"/>, or <see langword="null"/> if it may. Refused: a
    /// path that is one of <paramref name="taken"/> (the command's inputs and its other outputs); anything but a regular
    /// file (a folder, a FIFO, a device, a symbolic link: it would be replaced by a regular file); and an existing, non-empty
    /// file that does not start with <paramref name="signature"/>, what the command writes there (so a checkpoint or a data
    /// file is never overwritten by a PNG or JSON). An existing file of the right kind is replaced.
    /// </summary>
    public static string? Refusal(string path, ReadOnlySpan<byte> signature, IEnumerable<string> taken)
    {
        var expected = signature.ToArray();
        return Refusal(path, f =>
        {
            var head = new byte[expected.Length];
            return f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) == head.Length && head.AsSpan().SequenceEqual(expected);
        }, taken);
    }

    /// <summary>As <see cref="Refusal(string, ReadOnlySpan{byte}, IEnumerable{string})"/>, with <paramref name="holds"/> telling
    /// from the open, non-empty file (never a link, FIFO or device) whether it already holds what the command writes.</summary>
    public static string? Refusal(string path, Func<Stream, bool> holds, IEnumerable<string> taken)
    {
        ArgumentNullException.ThrowIfNull(holds);
        ArgumentNullException.ThrowIfNull(taken);
        var full = FullPath(path);
        if (taken.Any(t => SameFile(t, full))) return "it is also an input or another output of this command";
        try
        {
            using var f = PlainFile.OpenRead(full, followLinks: false); // a link, FIFO or device would be replaced by a regular file
            return f.Length == 0 || holds(f) ? null : "it exists and holds something else; remove it or choose another path";
        }
        catch (NotPlainFileException e)
        {
            return $"it is {e.Kind}, not a regular file";
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"it exists and cannot be read ({e.Message.TrimEnd('.')})";
        }
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> name the same file, once symbolic links are resolved.</summary>
    public static bool SameFile(string a, string b)
    {
        var fa = Resolve(FullPath(a));
        var fb = Resolve(FullPath(b));
        return string.Equals(fa, fb, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private static string Resolve(string full)
    {
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    private static void TryDelete(string temp)
    {
        try
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only or full file system: the write's own error is the one to report.
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
