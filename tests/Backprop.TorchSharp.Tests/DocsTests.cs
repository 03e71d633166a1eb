using System.Text.RegularExpressions;

namespace Backprop.Tests;

/// <summary>
/// README.md stays a landing page (under 10,000 bytes), and every relative link in the README and the docs leads to a
/// file of the repository and, where it names one, to a heading of that file.
/// </summary>
public sealed partial class DocsTests
{
    [Fact]
    public void The_readme_is_under_10000_bytes()
    {
        var bytes = new FileInfo(Path.Combine(Repo.Root, "README.md")).Length;
        Assert.True(bytes < 10_000, $"README.md is {bytes:N0} bytes: move the detail to docs/ and link to it");
    }

    public static TheoryData<string> Documents() =>
        [.. new[] { "README.md", "notebooks/README.md", "data/README.md" }
            .Concat(Directory.GetFiles(Path.Combine(Repo.Root, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)))];

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_relative_link_leads_to_a_file_and_heading_of_the_repository(string document)
    {
        var file = Path.Combine(Repo.Root, document);
        var broken = new List<string>();
        foreach (Match link in Link().Matches(Prose(file)))
        {
            var target = link.Groups[1].Value;
            if (target.Contains("://", StringComparison.Ordinal)) continue;
            var (path, anchor) = target.IndexOf('#') is var i and >= 0 ? (target[..i], target[(i + 1)..]) : (target, "");
            var linked = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
            if (!File.Exists(linked) && !Directory.Exists(linked)) broken.Add($"{target}: no such file");
            else if (anchor.Length > 0 && !Headings(linked).Contains(anchor)) broken.Add($"{target}: no heading #{anchor} in {path}");
        }
        Assert.True(broken.Count == 0, $"{document}: {string.Join("; ", broken)}");
    }

    // The text outside fenced code blocks, where a link is a link.
    private static string Prose(string file) => Fence().Replace(File.ReadAllText(file).ReplaceLineEndings("\n"), "");

    // GitHub's anchors: a heading lower-cased, without punctuation (backticks, colons, periods), spaces turned to hyphens.
    private static HashSet<string> Headings(string file) =>
        [.. Heading().Matches(Prose(file)).Select(m => NotInAnchor().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))];

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex("^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex("^#+ (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex NotInAnchor();
}
