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
    /// <remarks>Redirected, standard output goes through <see cref="TrailingSpaceTrimmer"/>: Spectre pads every table cell to its column, and a log or a diff should not carry that padding.</remarks>
    public static CliConsole Create(TextWriter stdout, TextWriter stderr, bool live)
    {
        if (!live) stdout = new TrailingSpaceTrimmer(stdout);
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

/// <summary>Writes through to another writer, less the spaces that end each line (they are held until something else follows them on the line).</summary>
internal sealed class TrailingSpaceTrimmer(TextWriter inner) : TextWriter
{
    private int _spaces;

    public override System.Text.Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override void Write(char value)
    {
        switch (value)
        {
            case ' ':
                _spaces++;
                return;
            case '\n' or '\r':
                _spaces = 0;
                break;
            default:
                if (_spaces > 0) inner.Write(new string(' ', _spaces));
                _spaces = 0;
                break;
        }
        inner.Write(value);
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "") Write(c);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        foreach (var c in buffer.AsSpan(index, count)) Write(c);
    }

    public override void Flush() => inner.Flush();
}
