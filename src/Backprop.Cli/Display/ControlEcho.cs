using System.Runtime.InteropServices;

namespace Backprop.Cli.Display;

/// <summary>
/// The terminal's echo of Ctrl+C as <c>^C</c> (ECHOCTL), turned off while a live display owns the screen: the display
/// says "stopping" itself, and the echo would land in the middle of its last frame. Unix terminals only; elsewhere,
/// or when no standard stream is a terminal, nothing changes.
/// </summary>
internal static class ControlEcho
{
    // struct termios: c_iflag, c_oflag, c_cflag, c_lflag, ... (tcflag_t is 4 bytes on Linux, 8 on macOS).
    private static readonly (int Offset, ulong Flag)? Layout =
        OperatingSystem.IsLinux() ? (12, 0x200) : OperatingSystem.IsMacOS() ? (24, 0x40) : null;

    private static readonly Lock Gate = new();
    private static (int Fd, byte[] Saved)? _suppressed;

    /// <summary>Turns the echo off until the result is disposed (or <see cref="Restore"/> runs); a no-op when it is already off.</summary>
    public static IDisposable Suppress()
    {
        lock (Gate)
        {
            if (Layout is not var (offset, flag) || _suppressed is not null) return new Section(false);
            foreach (var fd in new[] { 0, 1, 2 })
            {
                var termios = new byte[256]; // larger than any platform's struct termios
                if (GetAttributes(fd, termios) != 0) continue; // not a terminal
                var saved = (byte[])termios.Clone();
                var lflag = ReadFlag(termios, offset);
                if ((lflag & flag) == 0) return new Section(false);
                WriteFlag(termios, offset, lflag & ~flag);
                if (SetAttributes(fd, 0 /* TCSANOW */, termios) != 0) return new Section(false);
                _suppressed = (fd, saved);
                return new Section(true);
            }
            return new Section(false);
        }
    }

    /// <summary>Puts the terminal's settings back as <see cref="Suppress"/> found them; safe to call at any time, and more than once.</summary>
    public static void Restore()
    {
        lock (Gate)
        {
            if (_suppressed is not var (fd, saved)) return;
            _ = SetAttributes(fd, 0, saved);
            _suppressed = null;
        }
    }

    private static ulong ReadFlag(byte[] t, int offset) =>
        OperatingSystem.IsMacOS() ? BitConverter.ToUInt64(t, offset) : BitConverter.ToUInt32(t, offset);

    private static void WriteFlag(byte[] t, int offset, ulong value)
    {
        if (OperatingSystem.IsMacOS()) BitConverter.TryWriteBytes(t.AsSpan(offset), value);
        else BitConverter.TryWriteBytes(t.AsSpan(offset), (uint)value);
    }

    [DllImport("libc", EntryPoint = "tcgetattr")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetAttributes(int fd, byte[] termios);

    [DllImport("libc", EntryPoint = "tcsetattr")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetAttributes(int fd, int when, byte[] termios);

    private sealed class Section(bool owns) : IDisposable
    {
        private bool _owns = owns;

        public void Dispose()
        {
            if (!_owns) return;
            _owns = false;
            Restore();
        }
    }
}
