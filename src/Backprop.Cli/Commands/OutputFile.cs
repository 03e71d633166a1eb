
namespace Backprop.Cli.Commands;

/// <summary>
/// A file a command writes on request (<c>--json</c>, <c>--png</c>): checked before the work, written atomically after it.
/// A problem is one error line that names the option, and the command exits 1.
/// </summary>
internal static class OutputFile
{
    /// <summary>Whether <paramref name="path"/> can be written, leaving it untouched; if not, says so.</summary>
    public static bool Check(CliConsole io, string path, string option) => Try(io, path, option, () => AtomicFile.CheckWritable(path));

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
