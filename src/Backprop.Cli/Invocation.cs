namespace Backprop.Cli;

/// <summary>
/// How the user started this runner, to print commands they can paste back (the resume hint): <c>backprop</c> when it runs
/// as the installed tool, <c>dotnet run --project ... --</c> when <c>dotnet run</c> started it, <c>dotnet path/backprop.dll</c>.
/// </summary>
internal static class Invocation
{
    /// <summary>The words that start this runner again, as the user typed them where that can be known.</summary>
    public static string Prefix { get; } = Detect();

    /// <summary>The command line of <paramref name="args"/> after <see cref="Prefix"/>, each word quoted for a POSIX shell when needed.</summary>
    public static string Command(params string[] args) => string.Join(' ', [Prefix, .. args.Select(Quote)]);

    /// <summary>A word as a POSIX shell reads it back: bare when it is safe, else in single quotes.</summary>
    public static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=+,@%".Contains(c)) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Detect()
    {
        var process = Environment.ProcessPath ?? "";
        var entry = Path.Combine(AppContext.BaseDirectory, "backprop.dll");
        if (Path.GetFileNameWithoutExtension(process) == "dotnet")
            return $"dotnet {Quote(Relative(entry))}";
        if (DotnetRunCommand() is { } run) return run;
        var dir = Path.GetDirectoryName(process) ?? "";
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(p => p.Length > 0 && string.Equals(Path.GetFullPath(p).TrimEnd(Path.DirectorySeparatorChar), dir.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal));
        return onPath ? "backprop" : Quote(Relative(process));
    }

    // dotnet run starts the built apphost as its child: its command line up to "--" is what the user typed (Linux only; elsewhere null).
    private static string? DotnetRunCommand()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Environment.ProcessId}/stat");
            var ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
            var words = File.ReadAllText($"/proc/{ppid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || Path.GetFileNameWithoutExtension(words[0]) != "dotnet" || words[1] != "run") return null;
            var end = Array.IndexOf(words, "--");
            if (end >= 0) return string.Join(' ', ["dotnet", .. words[1..end].Select(Quote), "--"]);
            // Without "--", dotnet run passed its unknown words on: keep only the options that pick the project and build.
            var kept = new List<string> { "dotnet", "run" };
            for (var i = 2; i + 1 < words.Length; i++)
                if (words[i] is "--project" or "-p" or "-c" or "--configuration" or "-f" or "--framework") kept.AddRange([words[i], Quote(words[++i])]);
            return string.Join(' ', [.. kept, "--"]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
