using Microsoft.Win32.SafeHandles;
using Mono.Unix;
using Mono.Unix.Native;

namespace Backprop.Data;

/// <summary>
/// The one guard every reader and writer goes through to decide whether a path is a plain (regular) file it may open,
/// replace or lock. It opens without blocking (<c>O_NONBLOCK</c>: a FIFO or a device is refused by <c>fstat</c> on the open
/// descriptor, never waited on or read) and, where asked, without following a final symbolic link (<c>O_NOFOLLOW</c>), so
/// what is checked is what is read: there is no gap between a check and the open.
/// </summary>
/// <remarks>
/// On Unix through Mono.Unix (the maintained successor of Mono.Posix, published by Microsoft), whose native shim
/// translates <c>open</c>, <c>stat</c> and <c>fcntl</c> for each platform; on Windows, where none of these kinds of file
/// can be opened by accident, through the BCL.
/// </remarks>
internal static class PlainFile
{
    private const OpenFlags Common = OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC | OpenFlags.O_NOCTTY;

    /// <summary>
    /// What <paramref name="path"/> is when it is not a regular file, e.g. <c>a FIFO (named pipe)</c>, <c>a character
    /// device</c>, <c>a folder</c> or (with <paramref name="followLinks"/> off) <c>a symbolic link</c>; <see langword="null"/>
    /// when it is a regular file or names nothing.
    /// </summary>
    /// <param name="path">The path to look at; nothing is opened.</param>
    /// <param name="followLinks">Whether a symbolic link is judged by what it points at (stat) or as itself (lstat).</param>
    public static string? Kind(string path, bool followLinks = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsWindows())
            return Directory.Exists(path) ? "a folder"
                : !followLinks && File.Exists(path) && File.GetAttributes(path).HasFlag(FileAttributes.ReparsePoint) ? "a symbolic link" : null;
        var found = (followLinks ? Syscall.stat(path, out var st) : Syscall.lstat(path, out st)) == 0;
        return found ? Name(st.st_mode) : null;
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading if it is a regular file: without blocking, and without following a final
    /// symbolic link unless <paramref name="followLinks"/> (inputs a user names may be links; a command's own files may not).
    /// </summary>
    /// <exception cref="NotPlainFileException">It is a folder, a FIFO, a device, a socket or (not followed) a symbolic link.</exception>
    /// <exception cref="FileNotFoundException">Nothing is there.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be read.</exception>
    /// <exception cref="IOException">Any other reason it cannot be opened.</exception>
    public static FileStream OpenRead(string path, bool followLinks = true, int bufferSize = 4096)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            if (Kind(path, followLinks) is { } kind) throw new NotPlainFileException(path, kind);
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize);
        }
        var flags = OpenFlags.O_RDONLY | Common | (followLinks ? 0 : OpenFlags.O_NOFOLLOW);
        return new FileStream(Open(path, flags, 0), FileAccess.Read, bufferSize);
    }

    /// <summary>
    /// Opens, or creates, <paramref name="path"/> for reading and writing, never through a symbolic link, and locks it
    /// for this open file alone: an open-file-description lock (<c>F_OFD_SETLK</c>, as <c>flock(2)</c> behaves: a second
    /// open conflicts even in the same process, and the kernel releases it when the process dies, however it dies).
    /// </summary>
    /// <returns>The locked file; <see langword="null"/> when another open of it holds the lock.</returns>
    /// <exception cref="NotPlainFileException">It is not a regular file (a symbolic link, a FIFO, a folder, ...).</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be created or written.</exception>
    /// <exception cref="IOException">It cannot be created, opened or locked.</exception>
    public static FileStream? OpenLocked(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            if (Kind(path, followLinks: false) is { } kind) throw new NotPlainFileException(path, kind);
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                return null; // a sharing violation: another process has it open
            }
        }
        var handle = Open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_NOFOLLOW | Common, FilePermissions.DEFFILEMODE);
        var fd = (int)handle.DangerousGetHandle();
        var whole = new Flock { l_type = LockType.F_WRLCK, l_whence = SeekFlags.SEEK_SET };
        var locked = Syscall.fcntl(fd, OperatingSystem.IsLinux() ? FcntlCommand.F_OFD_SETLK : FcntlCommand.F_SETLK, ref whole);
        if (locked == 0) return new FileStream(handle, FileAccess.ReadWrite, 1);
        var errno = Stdlib.GetLastError();
        handle.Dispose();
        if (errno is Errno.EAGAIN or Errno.EACCES or Errno.EWOULDBLOCK) return null;
        throw new IOException($"{path} cannot be locked: {UnixMarshal.GetErrorDescription(errno)}");
    }

    // open(2), then fstat(2) on the descriptor: only a regular file comes back.
    private static SafeFileHandle Open(string path, OpenFlags flags, FilePermissions mode)
    {
        int fd;
        Errno errno;
        do
        {
            fd = Syscall.open(path, flags, mode);
            errno = fd < 0 ? Stdlib.GetLastError() : 0;
        }
        while (errno == Errno.EINTR);
        if (fd < 0) throw Failure(path, errno, flags);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Syscall.fstat(fd, out var st) != 0)
        {
            errno = Stdlib.GetLastError();
            handle.Dispose();
            throw Failure(path, errno, flags);
        }
        if (Name(st.st_mode) is { } kind)
        {
            handle.Dispose();
            throw new NotPlainFileException(path, kind);
        }
        return handle;
    }

    private static Exception Failure(string path, Errno errno, OpenFlags flags) => errno switch
    {
        Errno.ENOENT => new FileNotFoundException($"{path} does not exist", path),
        Errno.ENOTDIR => new DirectoryNotFoundException($"a part of {path} is not a folder"),
        Errno.ELOOP when flags.HasFlag(OpenFlags.O_NOFOLLOW) => new NotPlainFileException(path, "a symbolic link"),
        Errno.EISDIR => new NotPlainFileException(path, "a folder"),
        Errno.EACCES or Errno.EPERM or Errno.EROFS => new UnauthorizedAccessException($"{path}: {UnixMarshal.GetErrorDescription(errno)}"),
        _ => new IOException($"{path}: {UnixMarshal.GetErrorDescription(errno)}"),
    };

    private static string? Name(FilePermissions mode) => (mode & FilePermissions.S_IFMT) switch
    {
        FilePermissions.S_IFREG => null,
        FilePermissions.S_IFIFO => "a FIFO (named pipe)",
        FilePermissions.S_IFCHR => "a character device",
        FilePermissions.S_IFDIR => "a folder",
        FilePermissions.S_IFBLK => "a block device",
        FilePermissions.S_IFLNK => "a symbolic link",
        FilePermissions.S_IFSOCK => "a socket",
        _ => "not a regular file",
    };
}

/// <summary>A path a command reads, writes or locks is not a regular file.</summary>
/// <param name="path">The path.</param>
/// <param name="kind">What it is instead, e.g. <c>a FIFO (named pipe)</c>.</param>
internal sealed class NotPlainFileException(string path, string kind) : IOException($"{path} is {kind}, not a regular file")
{
    /// <summary>The path.</summary>
    public string Path { get; } = path;

    /// <summary>What it is, e.g. <c>a symbolic link</c>.</summary>
    public string Kind { get; } = kind;
}
