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
        return new CliConsole(console, stdout, new ErrorWriter(stderr), live);
    }
}

/// <summary>
/// Text from outside the program made safe for one line of a terminal: a file name with an ESC sequence or a newline in
/// it, or an error of libtorch's, which TorchSharp passes on with the native trace appended ("Exception raised from
/// ...", then one "frame #N: ..." line per C++ frame).
/// </summary>
internal static partial class Shown
{
    /// <summary><paramref name="path"/> with every control character written as an escape (<c>\e</c>, <c>\n</c>, <c>\x07</c>), as <c>ls -b</c> does.</summary>
    public static string Path(string path) => Escape(path, keepLineBreaks: false);

    /// <summary>A message as one line: libtorch's native trace cut out, control characters (line breaks too) escaped.</summary>
    public static string Line(string message) => Escape(WithoutNativeTrace(message), keepLineBreaks: false);

    /// <summary><paramref name="message"/> without libtorch's trace: from "Exception raised from" to the end of the last "frame #" line.</summary>
    public static string WithoutNativeTrace(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return NativeTrace().Replace(message, "").TrimEnd();
    }

    private static string Escape(string text, bool keepLineBreaks)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029')) return text;
        var sb = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
            sb.Append(c switch
            {
                '\n' or '\r' when keepLineBreaks => c.ToString(),
                '\t' when keepLineBreaks => "\t",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\u001b' => "\\e",
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' => c <= 0xff ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return sb.ToString();
    }

    /// <summary>Escapes control characters but keeps line breaks and tabs (help text, several lines written at once).</summary>
    internal static string KeepingLines(string text) => Escape(text, keepLineBreaks: true);

    [System.Text.RegularExpressions.GeneratedRegex(@"\s*Exception raised from [^\n]*(\n[^\n]*)*?(\nframe #\d+:[^\n]*)+", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex NativeTrace();
}

/// <summary>
/// Standard error as the runner writes it: every line a command writes (<see cref="TextWriter.WriteLine(string)"/>) goes
/// out as <see cref="Shown.Line"/> makes it, so no error can carry libtorch's trace or a terminal control sequence from a
/// file name; text written in pieces keeps its line breaks, its other control characters escaped.
/// </summary>
internal sealed class ErrorWriter(TextWriter inner) : TextWriter
{
    public override System.Text.Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => System.Globalization.CultureInfo.InvariantCulture;

    public override void Write(char value) => inner.Write(char.IsControl(value) && value is not ('\n' or '\r' or '\t') ? Shown.KeepingLines(value.ToString()) : value.ToString());

    public override void Write(string? value) => inner.Write(value is null ? null : Shown.KeepingLines(value));

    public override void WriteLine(string? value) => inner.WriteLine(value is null ? null : Shown.Line(value));

    public override void WriteLine() => inner.WriteLine();

    public override void Flush() => inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Flush();
        base.Dispose(disposing);
    }
}

/// <summary>
/// Standard output and error as the process found them. A stream the shell closed (<c>backprop info &gt;&amp;-</c>) is
/// not free for long: the .NET runtime's own first descriptor (a pipe) takes its number before <c>Main</c>, and writing
/// "to standard output" would then fail with "Access denied" or, worse, write into the runtime's pipe.
/// </summary>
internal static class StandardStreams
{
    /// <summary>Whether descriptor <paramref name="fd"/> (1 or 2) can take the program's output: open for writing, and not one end of a pipe whose other end is another of 0 to 2 opened read-only.</summary>
    public static bool Writable(int fd)
    {
        if (OperatingSystem.IsWindows()) return true;
        if (!OpenForWriting(fd) || Mono.Unix.Native.Syscall.fstat(fd, out var own) != 0) return false;
        for (var other = 0; other <= 2; other++)
            if (other != fd && !OpenForWriting(other) && Mono.Unix.Native.Syscall.fstat(other, out var st) == 0 && st.st_dev == own.st_dev && st.st_ino == own.st_ino
                && (st.st_mode & Mono.Unix.Native.FilePermissions.S_IFMT) == Mono.Unix.Native.FilePermissions.S_IFIFO)
                return false; // the runtime's pipe, both of its ends where 1 and 2 were
        return true;
    }

    private static bool OpenForWriting(int fd)
    {
        var flags = Mono.Unix.Native.Syscall.fcntl(fd, Mono.Unix.Native.FcntlCommand.F_GETFL);
        return flags >= 0 && (flags & 3) != 0; // O_ACCMODE: O_WRONLY or O_RDWR
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
