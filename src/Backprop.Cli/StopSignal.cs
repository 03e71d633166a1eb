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
    /// Ends the process now with <see cref="ExitCodes.Interrupted"/>, after removing temporary files (the signal handler in
    /// Program.cs puts the terminal back first: <c>Display.ControlEcho</c>). On Unix through <c>_exit(2)</c>: a managed exit
    /// while another thread is inside libtorch can crash (SIGSEGV) in native teardown.
    /// </summary>
    public static void ExitNow()
    {
        AtomicFile.RemovePending();
        Console.Error.Flush();
        if (OperatingSystem.IsWindows()) Environment.Exit(ExitCodes.Interrupted);
        RemoveRuntimeFiles(Path.GetTempPath(), Environment.ProcessId);
        Exit(ExitCodes.Interrupted);
    }

    /// <summary>
    /// Removes what the .NET runtime keeps in the temporary folder for this process (the debugger's
    /// <c>clr-debug-pipe-PID-*</c> FIFOs and the diagnostics server's <c>dotnet-diagnostic-PID-*</c> socket): its own
    /// shutdown removes them, and <c>_exit</c> skips it.
    /// </summary>
    internal static void RemoveRuntimeFiles(string temp, int pid)
    {
        try
        {
            foreach (var prefix in new[] { $"clr-debug-pipe-{pid}-", $"dotnet-diagnostic-{pid}-" })
                foreach (var file in Directory.EnumerateFileSystemEntries(temp, prefix + "*"))
                    File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a temporary folder we cannot tidy: the exit matters more
        }
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
