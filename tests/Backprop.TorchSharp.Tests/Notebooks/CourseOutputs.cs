namespace Backprop.Tests.Notebooks;

/// <summary>
/// The course's stored outputs (<c>Course/NAME.txt</c>) held against a notebook's printed ones, cell by cell.
/// </summary>
/// <remarks>
/// <para>A Course file: first, lines starting with <c>#</c> saying where the outputs came from; then blocks, each a line
/// <c>=== Out[N]</c> followed by the text the course notebook shows for its code cell N (counted from 1).</para>
/// <para>A notebook's output: a line <c>Out[N]:</c> opens cell N's block, which runs to the next <c>Out[</c> line, the next
/// line starting with <c>#</c> (a <c>## </c> or <c>### </c> section header, or a notebook's own note), or the end.</para>
/// Lines are compared with trailing whitespace trimmed; blank lines at the end of a block are not part of it.
/// </remarks>
internal static class CourseOutputs
{
    /// <summary>The stored blocks of <c>Course/<paramref name="notebook"/>.txt</c>, by cell number, in file order.</summary>
    public static IReadOnlyList<(int Cell, string[] Lines)> Stored(string notebook)
    {
        var path = Path.Combine(Repo.Root, "tests", "Backprop.TorchSharp.Tests", "Notebooks", "Course", notebook + ".txt");
        Assert.True(File.Exists(path), $"no course outputs are stored for {notebook}: {path}");
        var lines = File.ReadAllLines(path).SkipWhile(l => l.StartsWith('#'));
        return Blocks(lines, l => l.StartsWith("=== Out[", StringComparison.Ordinal) ? Cell(l["=== ".Length..]) : null, endsBlock: _ => false);
    }

    /// <summary>The blocks a notebook printed after its <c>Out[N]:</c> markers, in the order printed.</summary>
    public static IReadOnlyList<(int Cell, string[] Lines)> Printed(string output) =>
        Blocks(output.Split('\n'), l => l.StartsWith("Out[", StringComparison.Ordinal) && l.TrimEnd().EndsWith("]:", StringComparison.Ordinal) ? Cell(l.TrimEnd()[..^1]) : null,
            endsBlock: l => l.StartsWith('#'));

    /// <summary>
    /// Every difference between the stored and the printed blocks, one line each: a stored cell not printed or printed
    /// otherwise (with its first differing line), a cell printed twice, a cell printed that nothing is stored for.
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyList<(int Cell, string[] Lines)> stored, IReadOnlyList<(int Cell, string[] Lines)> printed)
    {
        var problems = new List<string>();
        var byCell = printed.GroupBy(b => b.Cell).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (cell, expected) in stored)
        {
            if (!byCell.TryGetValue(cell, out var got)) problems.Add($"Out[{cell}]: not printed");
            else if (got.Count > 1) problems.Add($"Out[{cell}]: printed {got.Count} times");
            else if (FirstDifference(expected, got[0].Lines) is { } d) problems.Add($"Out[{cell}]: {d}");
        }
        var storedCells = stored.Select(b => b.Cell).ToHashSet();
        problems.AddRange(byCell.Keys.Where(c => !storedCells.Contains(c)).Select(c => $"Out[{c}]: printed, but the course file stores no such cell"));
        return problems;
    }

    private static string? FirstDifference(string[] expected, string[] got)
    {
        for (var i = 0; i < Math.Max(expected.Length, got.Length); i++)
        {
            var e = i < expected.Length ? expected[i] : null;
            var g = i < got.Length ? got[i] : null;
            if (e != g) return $"line {i + 1} differs: the course shows {Quote(e)}, the notebook printed {Quote(g)}";
        }
        return null;
    }

    private static string Quote(string? line) => line is null ? "nothing" : $"\"{line}\"";

    private static int Cell(string marker) => int.Parse(marker["Out[".Length..^1], System.Globalization.CultureInfo.InvariantCulture);

    private static List<(int Cell, string[] Lines)> Blocks(IEnumerable<string> lines, Func<string, int?> opens, Func<string, bool> endsBlock)
    {
        var blocks = new List<(int Cell, List<string> Lines)>();
        List<string>? current = null;
        foreach (var line in lines.Select(l => l.TrimEnd()))
        {
            if (opens(line) is { } cell)
            {
                blocks.Add((cell, current = []));
                continue;
            }
            if (endsBlock(line)) current = null;
            else current?.Add(line);
        }
        return [.. blocks.Select(b => (b.Cell, b.Lines.AsEnumerable().Reverse().SkipWhile(l => l.Length == 0).Reverse().ToArray()))];
    }
}
