using System.Text.RegularExpressions;

namespace Backprop.Tests;

/// <summary>
/// The layers of docs/ARCHITECTURE.md, read from the sources: each file's namespace and the Backprop namespaces it
/// imports (IDE0005 makes every using a real dependency).
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly Dictionary<string, HashSet<string>> Uses = ReadUses(Path.Combine(Repo.Root, "src"));

    [Fact]
    public void The_namespaces_form_no_cycle()
    {
        var cycle = FindCycle();

        Assert.True(cycle is null, $"namespace cycle: {string.Join(" -> ", cycle ?? [])}");
    }

    [Fact]
    public void The_library_never_uses_the_runner()
    {
        var wrong = Uses.Where(kv => !kv.Key.StartsWith("Backprop.Cli", StringComparison.Ordinal))
            .SelectMany(kv => kv.Value.Where(u => u.StartsWith("Backprop.Cli", StringComparison.Ordinal)).Select(u => $"{kv.Key} -> {u}"));

        Assert.Empty(wrong);
        Assert.Contains("Backprop.Training", Uses.Keys); // the sources were read
    }

    [Fact]
    public void The_lessons_sit_above_the_data_and_below_the_final_stage()
    {
        Assert.Contains("Backprop.Data", Uses["Backprop.Scratch"]);
        Assert.Contains("Backprop.Scratch", Uses["Backprop.Training"]);
        Assert.DoesNotContain("Backprop.Training", Uses["Backprop.Scratch"]);
        Assert.DoesNotContain("Backprop.Scratch", Uses.GetValueOrDefault("Backprop.Data", []));
    }

    [Fact]
    public void The_charts_use_nothing_else_of_the_runner_nor_the_library()
    {
        Assert.Empty(Uses["Backprop.Cli.Charts"]);
        Assert.Contains("Backprop.Cli.Charts", Uses["Backprop.Cli.Runs"]);
        Assert.Contains("Backprop.Cli.Charts", Uses["Backprop.Cli.Bench"]);
    }

    private static List<string>? FindCycle()
    {
        var state = new Dictionary<string, int>(); // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string ns)
        {
            if (state.GetValueOrDefault(ns) == 2) return null;
            if (state.GetValueOrDefault(ns) == 1) return [.. path.SkipWhile(p => p != ns), ns];
            state[ns] = 1;
            path.Add(ns);
            foreach (var next in Uses.GetValueOrDefault(ns, []))
                if (Visit(next) is { } found) return found;
            path.RemoveAt(path.Count - 1);
            state[ns] = 2;
            return null;
        }
        return Uses.Keys.Select(Visit).FirstOrDefault(c => c is not null);
    }

    private static Dictionary<string, HashSet<string>> ReadUses(string src)
    {
        var uses = new Dictionary<string, HashSet<string>>();
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)) continue;
            var text = File.ReadAllText(file);
            if (NamespaceLine().Match(text) is not { Success: true } ns) continue; // Program.cs: top-level statements
            var set = uses.TryGetValue(ns.Groups[1].Value, out var s) ? s : uses[ns.Groups[1].Value] = [];
            foreach (Match u in UsingLine().Matches(text))
            {
                var used = u.Groups[1].Success ? u.Groups[2].Value[..u.Groups[2].Value.LastIndexOf('.')] : u.Groups[2].Value; // static: drop the type
                if (used != ns.Groups[1].Value) set.Add(used);
            }
        }
        return uses;
    }

    [GeneratedRegex(@"^namespace (Backprop[\w.]*);", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    // using Backprop.X; or using static Backprop.X.Type;
    [GeneratedRegex(@"^using (static )?(Backprop[\w.]*);", RegexOptions.Multiline)]
    private static partial Regex UsingLine();
}
