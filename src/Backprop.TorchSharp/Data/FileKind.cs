using System.Runtime.InteropServices;

namespace Backprop.Data;

/// <summary>
/// What a path names on the file system, so that a reader refuses a FIFO or a device before <c>open()</c> blocks on it,
/// and a writer refuses one before it replaces it with a regular file.
/// </summary>
public static partial class FileKind
{
    /// <summary>
    /// <see langword="null"/> when <paramref name="path"/> is a regular file or names nothing; otherwise what it is, e.g.
    /// <c>a FIFO (named pipe)</c>, <c>a character device</c>, <c>a folder</c> or (with <paramref name="followLinks"/> off) <c>a symbolic link</c>.
    /// </summary>
    /// <param name="path">The path to look at.</param>
    /// <param name="followLinks">Whether a symbolic link is judged by what it points at (stat) or as itself (lstat).</param>
    public static string? NotRegularFile(string path, bool followLinks = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows()) return Directory.Exists(path) ? "a folder" : null;
        Span<byte> status = stackalloc byte[512]; // the runtime's FileStatus: int Flags, int Mode, ...
        var found = (followLinks ? Stat(path, ref status[0]) : LStat(path, ref status[0])) == 0;
        if (!found) return null;
        return (MemoryMarshal.Read<int>(status[4..]) & 0xF000) switch
        {
            0x8000 => null,
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x4000 => "a folder",
            0x6000 => "a block device",
            0xA000 => "a symbolic link",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
    }

    // The .NET runtime's own shim over stat(2)/lstat(2): one struct layout on every Unix it runs on.
    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Stat(string path, ref byte status);

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_LStat", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int LStat(string path, ref byte status);
}
