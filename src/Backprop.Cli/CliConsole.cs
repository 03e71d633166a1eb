using Spectre.Console;

namespace Backprop.Cli;

/// <summary>Where a command writes: tables and progress to <see cref="Out"/>, help and version to <see cref="Text"/>, errors to <see cref="Error"/>.</summary>
/// <param name="Out">Standard output, through Spectre.Console.</param>
/// <param name="Text">Standard output as plain text (for <c>--help</c> and <c>--version</c>, so that <c>backprop train --help | less</c> shows them).</param>
/// <param name="Error">Standard error.</param>
/// <param name="Live">Whether to draw live progress (a terminal, and <c>CI</c> unset) rather than plain lines.</param>
public sealed record CliConsole(IAnsiConsole Out, TextWriter Text, TextWriter Error, bool Live)
{
    /// <summary>Wide enough that no line is ever wrapped when the output goes to a file or a pipe (a SHA-256 stays on its line).</summary>
    public const int RedirectedWidth = 100_000;

    /// <summary>A console over two writers; <paramref name="live"/> also turns on colour and cursor control.</summary>
    public static CliConsole Create(TextWriter stdout, TextWriter stderr, bool live)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = live ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = live ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = live ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!live) console.Profile.Width = RedirectedWidth;
        return new CliConsole(console, stdout, stderr, live);
    }
}
