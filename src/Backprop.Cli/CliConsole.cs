using Spectre.Console;

namespace Backprop.Cli;

/// <summary>Where a command writes: tables and progress to <see cref="Out"/>, errors to <see cref="Error"/>.</summary>
/// <param name="Out">Standard output, through Spectre.Console.</param>
/// <param name="Error">Standard error.</param>
/// <param name="Live">Whether to draw live progress (a terminal, and <c>CI</c> unset) rather than plain lines.</param>
public sealed record CliConsole(IAnsiConsole Out, TextWriter Error, bool Live)
{
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
        if (!live) console.Profile.Width = 120;
        return new CliConsole(console, stderr, live);
    }
}
