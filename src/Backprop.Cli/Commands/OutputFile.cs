namespace Backprop.Cli.Commands;

/// <summary>
/// A file a command writes on request (<c>--json</c>, <c>--png</c>): checked before the work, written atomically after it.
/// A problem is one error line that names the option, and the command exits 1.
/// </summary>
internal static class OutputFile
{
    /// <summary>What a JSON file starts with.</summary>
    public static ReadOnlySpan<byte> Json => "{"u8;

    /// <summary>The PNG signature.</summary>
    public static ReadOnlySpan<byte> Png => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];

    /// <summary>
    /// Whether <paramref name="path"/> may and can be written, leaving it untouched; if not, says so. See
    /// <see cref="AtomicFile.Refusal(string, ReadOnlySpan{byte}, IEnumerable{string})"/> for what is refused; <paramref name="inputs"/> are the command's input files.
    /// </summary>
    public static bool Check(CliConsole io, string path, string option, ReadOnlySpan<byte> signature, IEnumerable<string> inputs) =>
        Check(io, path, option, AtomicFile.Refusal(path, signature, inputs));

    /// <summary>As <see cref="Check(CliConsole, string, string, ReadOnlySpan{byte}, IEnumerable{string})"/>, with <paramref name="holds"/> telling whether an existing file already holds what the command writes.</summary>
    public static bool Check(CliConsole io, string path, string option, Func<Stream, bool> holds, IEnumerable<string> inputs) =>
        Check(io, path, option, AtomicFile.Refusal(path, holds, inputs));

    private static bool Check(CliConsole io, string path, string option, string? refusal)
    {
        if (refusal is { } why)
        {
            io.Error.WriteLine($"error: will not write {path} ({option}): {why}.");
            return false;
        }
        return Try(io, path, option, () => AtomicFile.CheckWritable(path));
    }

    /// <summary>Runs <paramref name="write"/>, which writes <paramref name="path"/>; on an I/O problem says so and returns false.</summary>
    public static bool Write(CliConsole io, string path, string option, Action write) => Try(io, path, option, write);

    private static bool Try(CliConsole io, string path, string option, Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            io.Error.WriteLine($"error: cannot write {path}: {e.Message.TrimEnd('.')}. Pass a writable path with {option}.");
            return false;
        }
    }
}
