namespace Backprop.Cli;

/// <summary>The runner's exit codes.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>Something the user can fix: missing data, no CUDA, a bad checkpoint, a diverged run, a failed check.</summary>
    public const int Failed = 1;

    /// <summary>The command line itself is wrong: unknown command or option, bad value.</summary>
    public const int Usage = 2;

    /// <summary>A failure nothing else explains (a bug): one line names the command and the problem, the trace goes to a file it names (EX_SOFTWARE).</summary>
    public const int Internal = 70;

    /// <summary>Stopped by Ctrl+C or SIGTERM (128 + SIGINT, as shells report Ctrl+C).</summary>
    public const int Interrupted = 130;
}
