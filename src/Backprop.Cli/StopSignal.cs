using System.Runtime.InteropServices;

namespace Backprop.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM. Inside a <see cref="Graceful"/> section (train's batch loop, a download) the first one asks
/// the command to stop at the next safe point, keeping its last checkpoint; anywhere else, and for a second one, the
/// process ends at once with <see cref="ExitCodes.Interrupted"/>, its temporary files removed.
/// </summary>
internal static class StopSignal
{
    private static int _graceful;

    /// <summary>Whether a first signal now asks for a graceful stop (true only inside <see cref="Graceful"/>).</summary>
    public static bool IsGraceful => Volatile.Read(ref _graceful) > 0;

    /// <summary>Marks a section that watches its cancellation token often enough to stop cleanly; dispose it to end the section.</summary>
    public static IDisposable Graceful()
    {
        Interlocked.Increment(ref _graceful);
        return new Section();
    }

    /// <summary>
    /// Ends the process now with <see cref="ExitCodes.Interrupted"/>, after removing temporary files. On Unix through
    /// <c>_exit(2)</c>: a managed exit while another thread is inside libtorch can crash (SIGSEGV) in native teardown.
    /// </summary>
    public static void ExitNow()
    {
        AtomicFile.RemovePending();
        Console.Error.Flush();
        if (OperatingSystem.IsWindows()) Environment.Exit(ExitCodes.Interrupted);
        Exit(ExitCodes.Interrupted);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void Exit(int status);

    private sealed class Section : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref _graceful);
        }
    }
}
