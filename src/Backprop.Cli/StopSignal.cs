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

    private sealed class Section : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref _graceful);
        }
    }
}
