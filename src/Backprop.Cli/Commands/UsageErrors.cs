using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;

namespace Backprop.Cli.Commands;

/// <summary>
/// A bad command line as a few lines: each error, with a "did you mean" for an unknown command or option, then one line that
/// points to <c>--help</c>. System.CommandLine 3.0's own <c>ParseErrorAction</c> suggests too, but writes its suggestions to
/// standard output before the errors, offers any name within 3 edits (a stray <c>3</c> gets <c>-h</c>) and reports the value
/// of an unknown option as a second unknown word; so the runner turns unmatched words into errors itself
/// (<see cref="Command.TreatUnmatchedTokensAsErrors"/> is off on every command) and says them here.
/// </summary>
internal static class UsageErrors
{
    /// <summary>The error lines for <paramref name="parsed"/>, each starting <c>error: </c>, then the pointer to help; empty when it parsed.</summary>
    public static IReadOnlyList<string> Describe(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var command = parsed.CommandResult.Command;
        var path = CommandPath(parsed.CommandResult);
        var lines = new List<string>();
        var valueNext = false;
        foreach (var word in parsed.UnmatchedTokens)
        {
            // "--epoch 3": the 3 is the unknown option's value, not a second mistake.
            if (valueNext && !IsOption(word)) { valueNext = false; continue; }
            if (SpacedWidths(parsed, word) is { } widths)
            {
                var spaced = $"error: unexpected argument '{word}'; --hidden takes the widths of several hidden layers separated by commas: --hidden {widths}";
                if (lines.Count > 0 && lines[^1].Contains("; --hidden takes the widths", StringComparison.Ordinal)) lines[^1] = spaced; // one line for "--hidden 100 50 20"
                else lines.Add(spaced);
                continue;
            }
            var (line, kind) = Unknown(word, command, path);
            lines.Add("error: " + line);
            if (kind == Word.Command) break; // what follows an unknown command belongs to it
            valueNext = kind == Word.Option;
        }
        // A command that only groups others ("data"): one line naming them, for System.CommandLine's "Required command was not provided".
        var needsCommand = command.Action is null && command.Subcommands.Count > 0;
        if (needsCommand && lines.Count == 0) lines.Add($"error: '{string.Join(' ', path)}' needs a command: {Join(SubcommandNames(command), "or")}");
        lines.AddRange(parsed.Errors.Where(e => !(needsCommand && e.SymbolResult == parsed.CommandResult)).Select(e => "error: " + OneLine(e)));
        if (lines.Count == 0) return lines;
        var help = Invocation.Command([.. path, "--help"]);
        lines.Add(command.Subcommands.Count > 0 ? $"Run '{help}' for the commands and options." : $"Run '{help}' for the options.");
        return lines;
    }

    /// <summary>Turns off System.CommandLine's own error for each unmatched word on <paramref name="command"/> and every subcommand (<see cref="Describe"/> says them).</summary>
    public static void Own(Command command)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        foreach (var sub in command.Subcommands) Own(sub);
    }

    /// <summary>The names within reach of <paramref name="word"/>, closest first (ties together), for "did you mean".</summary>
    /// <remarks>
    /// Damerau-Levenshtein distance (optimal string alignment: a swap of two neighbours is one edit, so <c>trian</c> is one
    /// edit from <c>train</c>), case-insensitive, on the names without their leading dashes, within about a third of the
    /// word's length and never the whole word; a word of two letters or more that starts a name counts as one edit.
    /// </remarks>
    public static IReadOnlyList<string> Suggest(string word, IEnumerable<string> names)
    {
        var core = Core(word);
        var reach = Math.Max((core.Length + 1) / 3, 1);
        var scored = names.Distinct().Select(n => (Name: n, Edits: Edits(core, Core(n))))
            .Where(s => s.Edits <= reach && s.Edits < Math.Max(core.Length, 1)).ToList();
        if (scored.Count == 0) return [];
        var best = scored.Min(s => s.Edits);
        return [.. scored.Where(s => s.Edits == best).Select(s => s.Name)];

        int Edits(string a, string b) => a.Length >= 2 && b.StartsWith(a, StringComparison.Ordinal) && a != b ? 1 : Distance(a, b);
    }

    /// <summary>The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours, one edit each.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    private enum Word { Option, Command, Argument }

    // "--hidden 100 50": the widths that were meant, "100,50", when word is a number that follows --hidden's own value.
    private static string? SpacedWidths(ParseResult parsed, string word)
    {
        if (!word.All(char.IsAsciiDigit)) return null;
        var tokens = parsed.Tokens.Select(t => t.Value).ToList();
        for (var i = tokens.IndexOf(word); i >= 0; i = tokens.IndexOf(word, i + 1))
        {
            var widths = new List<string> { word };
            for (var j = i - 1; j >= 0 && tokens[j].All(c => char.IsAsciiDigit(c) || c == ','); j--)
            {
                widths.Insert(0, tokens[j]);
                if (j > 0 && tokens[j - 1] is "--hidden" or "--nh") return string.Join(",", widths);
            }
        }
        return null;
    }

    private static (string Line, Word Kind) Unknown(string word, Command command, List<string> path)
    {
        var where = path.Count == 0 ? "" : $" for '{string.Join(' ', path)}'";
        var options = OptionNames(command).ToList();
        if (IsOption(word))
            return ($"unknown option '{word}'{where}{Hint(Suggest(word.Split('=', ':')[0], options))}", Word.Option);
        if (command.Subcommands.Count > 0)
        {
            var names = SubcommandNames(command);
            var hint = Hint(Suggest(word, names) is { Count: > 0 } near ? near : Suggest(word, options)); // "help": --help
            return ($"unknown command '{word}'{where}{(hint.Length > 0 ? hint : $"; the commands are {Join(names, "and")}")}", Word.Command);
        }
        // A bare word where no argument is left: an option without its dashes ("epochs 3") gets its name suggested.
        var like = Suggest(word, options);
        return ($"unexpected argument '{word}'{where}{Hint(like)}", like.Count > 0 ? Word.Option : Word.Argument);
    }

    // System.CommandLine lists an option's choices one to a line; here they share the error's line, with "did you mean".
    private static string OneLine(ParseError e)
    {
        var parts = e.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var text = parts.Length <= 1 ? e.Message.Trim() : $"{parts[0]} {string.Join(", ", parts[1..])}";
        var option = e.SymbolResult switch { OptionResult o => o, ArgumentResult { Parent: OptionResult o } => o, _ => null };
        if (option is { Tokens: [var given] })
        {
            var choices = option.Option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
            if (choices.Count > 0 && !choices.Contains(given.Value)) text += Hint(Suggest(given.Value, choices));
        }
        return text;
    }

    private static List<string> SubcommandNames(Command command) => [.. command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name)];

    private static string Hint(IReadOnlyList<string> names) => names.Count == 0 ? "" : $"; did you mean {Join([.. names.Select(n => $"'{n}'")], "or")}?";

    private static string Join(List<string> items, string last) =>
        items.Count <= 1 ? string.Concat(items) : $"{string.Join(", ", items.Take(items.Count - 1))} {last} {items[^1]}";

    // The options a word after this command may name: its own and the recursive ones of the commands above (--help).
    private static IEnumerable<string> OptionNames(Command command)
    {
        IEnumerable<Option> options = command.Options;
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            options = options.Concat(parent.Options.Where(o => o.Recursive));
        return options.Where(o => !o.Hidden).SelectMany(o => new[] { o.Name }.Concat(o.Aliases.Where(a => a.StartsWith("--", StringComparison.Ordinal))));
    }

    /// <summary>The words of the command <paramref name="result"/> stands for, after the root's (<c>["data", "verify"]</c>; empty for the root).</summary>
    public static List<string> CommandPath(CommandResult result)
    {
        var path = new List<string>();
        for (var r = result; r.Parent is CommandResult parent; r = parent) path.Insert(0, r.Command.Name);
        return path;
    }

    private static bool IsOption(string word) => word.Length > 1 && word[0] == '-';

    private static string Core(string name) => name.TrimStart('-').ToLowerInvariant();
}
