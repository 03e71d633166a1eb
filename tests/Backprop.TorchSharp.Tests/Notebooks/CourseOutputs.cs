namespace Backprop.Tests.Notebooks;

/// <summary>
/// The course's stored outputs (<c>notebooks/course/NAME.txt</c>, which the notebooks read too) held against a notebook's
/// printed ones, cell by cell.
/// </summary>
/// <remarks>
/// <para>A course file: first, lines starting with <c>#</c> saying where the outputs came from; then blocks, each a line
/// <c>=== Out[N]</c> followed by the text the course notebook shows for its code cell N (counted from 1).</para>
/// <para>A notebook's output: a line <c>Out[N]:</c>, or <c>Out[N]: differs from the course (...)</c> where the notebook
/// found its text is not the course's, opens cell N's block, which runs to the next <c>Out[</c> line, the next line
/// starting with <c>#</c> (a <c>## </c> or <c>### </c> section header, or a notebook's own note), or the end.</para>
/// Lines are compared with trailing whitespace trimmed; blank lines at the end of a block are not part of it.
/// </remarks>
internal static class CourseOutputs
{
    /// <summary>What a notebook's marker says after <c>Out[N]:</c> when the cell is not the course's text.</summary>
    public const string DiffersMark = " differs from the course";

    /// <summary>The stored blocks of <c>notebooks/course/<paramref name="notebook"/>.txt</c>, by cell number, in file order.</summary>
    public static IReadOnlyList<(int Cell, string[] Lines)> Stored(string notebook)
    {
        var path = Path.Combine(Repo.Root, "notebooks", "course", notebook + ".txt");
        Assert.True(File.Exists(path), $"no course outputs are stored for {notebook}: {path}");
        var lines = File.ReadAllLines(path).SkipWhile(l => l.StartsWith('#'));
        return [.. Blocks(lines, l => l.StartsWith("=== Out[", StringComparison.Ordinal) ? (Cell(l["=== ".Length..] + ":"), false) : null, endsBlock: _ => false)
            .Select(b => (b.Cell, b.Lines))];
    }

    /// <summary>The blocks a notebook printed after its <c>Out[N]:</c> markers, in the order printed, with whether the marker says the block differs.</summary>
    public static IReadOnlyList<(int Cell, string[] Lines, bool MarkedDifferent)> Printed(string output) =>
        Blocks(output.Split('\n'), Marker, endsBlock: l => l.StartsWith('#'));

    /// <summary>
    /// Every difference between the stored and the printed blocks, one line each: a stored cell not printed or printed
    /// otherwise (with its first differing line), a cell printed twice, a cell printed that nothing is stored for.
    /// </summary>
    public static IReadOnlyList<string> Differences(IReadOnlyList<(int Cell, string[] Lines)> stored, IReadOnlyList<(int Cell, string[] Lines, bool MarkedDifferent)> printed)
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

    /// <summary>The first line where <paramref name="got"/> is not <paramref name="expected"/>, said as a sentence; null when they are the same.</summary>
    public static string? FirstDifference(string[] expected, string[] got)
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

    // "Out[N]:" or "Out[N]: differs from the course (...)".
    private static (int, bool)? Marker(string line)
    {
        if (!line.StartsWith("Out[", StringComparison.Ordinal) || line.IndexOf("]:", StringComparison.Ordinal) is not (> 4 and var end)) return null;
        var rest = line[(end + 2)..];
        if (rest.Length > 0 && !rest.StartsWith(DiffersMark, StringComparison.Ordinal)) return null;
        return (Cell(line[..(end + 2)]), rest.Length > 0);
    }

    private static int Cell(string marker) => int.Parse(marker["Out[".Length..^2], System.Globalization.CultureInfo.InvariantCulture);

    private static List<(int Cell, string[] Lines, bool MarkedDifferent)> Blocks(IEnumerable<string> lines, Func<string, (int Cell, bool Marked)?> opens, Func<string, bool> endsBlock)
    {
        var blocks = new List<(int Cell, List<string> Lines, bool Marked)>();
        List<string>? current = null;
        foreach (var line in lines.Select(l => l.TrimEnd()))
        {
            if (opens(line) is { } marker)
            {
                blocks.Add((marker.Cell, current = [], marker.Marked));
                continue;
            }
            if (endsBlock(line)) current = null;
            else current?.Add(line);
        }
        return [.. blocks.Select(b => (b.Cell, b.Lines.AsEnumerable().Reverse().SkipWhile(l => l.Length == 0).Reverse().ToArray(), b.Marked))];
    }
}
