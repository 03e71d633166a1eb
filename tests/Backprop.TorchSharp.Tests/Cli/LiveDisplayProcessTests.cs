namespace Backprop.Tests.Cli;

/// <summary>
/// <c>backprop train</c>'s live display in a real terminal (a pseudo-terminal from util-linux <c>script</c>), stopped by
/// a Ctrl+C typed into it: the screen it leaves, replayed through <see cref="Screen"/>, must be clean (issue 17).
/// </summary>
public sealed class LiveDisplayProcessTests
{
    [ScriptFact]
    [Trait("Category", "Process")]
    public void Ctrl_C_in_a_terminal_leaves_a_clean_screen_and_the_terminal_as_it_was()
    {
        using var dir = new TempDir();
        // A slower epoch than the lesson's (bs 10, nh 300) so that Ctrl+C surely lands inside epoch 2.
        var train = $"dotnet '{Repo.RunnerDll}' train --epochs 3 --bs 10 --nh 300 --out '{dir.File("run")}'";
        // script runs this with $SHELL, set below to /bin/sh so that every machine runs the same shell (dash on Debian). The
        // pty's Ctrl+C signals that shell too, and a dash left with SIGINT's default dies there, before echoing the exit
        // code. Trapping it (not ignoring it: the runner must get SIGINT) keeps the shell alive until the runner exits.
        // The live display is off under CI, so CI is removed.
        using var p = ChildProcess.Start("script", ["-q", "-e", "-f", "-c", $"trap : INT; stty cols 120 rows 40; {train}; echo \"exit=$?\"; stty -a", "/dev/null"],
            new Dictionary<string, string?> { ["CI"] = null, ["TERM"] = "xterm-256color", ["SHELL"] = "/bin/sh" }, input: true);
        var inEpoch2 = p.WaitUntil(() => p.Out.Contains("epoch 2/3 ", StringComparison.Ordinal), TimeSpan.FromMinutes(5));
        Assert.True(inEpoch2, $"epoch 2's progress never showed; the run printed:\n{p.Out}\n{p.Err}");
        p.Type("\u0003"); // what Ctrl+C types: the terminal turns it into SIGINT
        var (_, raw, stderr) = p.Wait(TimeSpan.FromMinutes(5));

        var screen = Screen.Replay(raw, width: 120);
        var text = string.Join('\n', screen);
        Assert.True(text.Contains("exit=130", StringComparison.Ordinal), $"the run did not end with exit code 130; the screen:\n{text}\n{stderr}");
        Assert.DoesNotContain("^C", raw[..raw.IndexOf("exit=", StringComparison.Ordinal)]); // the terminal's own echo, which would land in the last frame
        // The frames drew epoch 1's validation pass to its end (its last batch is always drawn) and both ETAs (issue 26).
        Assert.Contains("epoch 1/3 ", raw);
        Assert.Contains("validating 500/500  elapsed ", raw);
        Assert.Matches(@"batches/s  loss \d\.\d{4}  elapsed \d+:\d\d  ETA epoch \d+:\d\d, run \d+:\d\d", raw);
        Assert.Single(screen, l => l.StartsWith("784-300-10, cross-entropy", StringComparison.Ordinal)); // one header, not two
        Assert.Single(screen, l => l.TrimStart().StartsWith("epoch/3", StringComparison.Ordinal));
        Assert.Single(screen, l => l.TrimStart().StartsWith("1/3 ", StringComparison.Ordinal));
        Assert.DoesNotContain(screen, l => l.Contains('━')); // no stale progress bar
        var stopped = Assert.Single(screen, l => l.StartsWith("epoch 2/3 stopped after batch ", StringComparison.Ordinal));
        Assert.EndsWith(" of 5000; it is not in the checkpoint", stopped);
        Assert.Contains(screen, l => l.StartsWith("interrupted; continue with: ", StringComparison.Ordinal));
        // Between the table and the summary: the stopped line, and no run of blank lines.
        var at = screen.FindIndex(l => l.TrimStart().StartsWith("1/3 ", StringComparison.Ordinal));
        var summary = screen.FindIndex(l => l.StartsWith("valid accuracy ", StringComparison.Ordinal));
        Assert.Equal(["", stopped], screen[(at + 1)..summary]);
        // The echo is back on for the shell that started it.
        var settings = screen.SkipWhile(l => !l.StartsWith("exit=", StringComparison.Ordinal)).SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("echoctl", settings);
    }
}

/// <summary>The parts of a VT100/xterm terminal that Spectre.Console's live display uses, to see the screen a program leaves.</summary>
internal static class Screen
{
    /// <summary>Replays <paramref name="output"/> on a terminal <paramref name="width"/> columns wide; returns its lines, trailing blanks trimmed.</summary>
    /// <exception cref="InvalidOperationException">An escape sequence this replay does not know: the test must learn it, not skip it.</exception>
    public static List<string> Replay(string output, int width)
    {
        var lines = new List<char[]>();
        var (row, col) = (0, 0);
        char[] Line(int r)
        {
            while (lines.Count <= r) lines.Add(Blank());
            return lines[r];
        }
        char[] Blank() => Enumerable.Repeat(' ', width).ToArray();

        for (var i = 0; i < output.Length; i++)
        {
            var c = output[i];
            switch (c)
            {
                case '\r': col = 0; continue;
                case '\n': row++; continue;
                case '\b': col = Math.Max(0, col - 1); continue;
                case '\a': continue;
                case '\u001b':
                    i = Escape(output, i, ref row, ref col, Line, width, lines);
                    continue;
            }
            if (char.IsControl(c)) continue; // a terminal shows no other C0 control (the raw U+0003 echoed for Ctrl+C among them)
            if (col >= width) (row, col) = (row + 1, 0); // autowrap
            Line(row)[col++] = c;
        }
        var result = lines.Select(l => new string(l).TrimEnd()).ToList();
        while (result is [.., ""]) result.RemoveAt(result.Count - 1);
        return result;
    }

    private static int Escape(string s, int i, ref int row, ref int col, Func<int, char[]> line, int width, List<char[]> lines)
    {
        if (i + 1 < s.Length && s[i + 1] != '[')
        {
            if (s[i + 1] is '7' or '8' or '=' or '>') return i + 1; // save/restore cursor, keypad modes: no effect on the text
            throw new InvalidOperationException($"unknown escape ESC {s[i + 1]} at {i}");
        }
        var j = i + 2;
        while (j < s.Length && s[j] is (>= '0' and <= '9') or ';' or '?') j++;
        var args = s[(i + 2)..j];
        var n = int.TryParse(args.TrimStart('?').Split(';')[0], out var v) ? v : 0;
        switch (s[j])
        {
            case 'A': row = Math.Max(0, row - Math.Max(1, n)); break;
            case 'B': row += Math.Max(1, n); break;
            case 'C': col = Math.Min(width - 1, col + Math.Max(1, n)); break;
            case 'D': col = Math.Max(0, col - Math.Max(1, n)); break;
            case 'G': col = Math.Max(1, n) - 1; break;
            case 'K':
                var l = line(row);
                var (from, to) = n switch { 0 => (col, width), 1 => (0, col + 1), _ => (0, width) };
                for (var k = from; k < Math.Min(to, width); k++) l[k] = ' ';
                break;
            case 'J' when n == 2: lines.Clear(); break;
            case 'J':
                var t = line(row);
                for (var k = col; k < width; k++) t[k] = ' ';
                for (var r = row + 1; r < lines.Count; r++) Array.Fill(lines[r], ' ');
                break;
            case 'H':
                var parts = args.Split(';');
                row = (parts.Length > 0 && int.TryParse(parts[0], out var r0) ? r0 : 1) - 1;
                col = (parts.Length > 1 && int.TryParse(parts[1], out var c0) ? c0 : 1) - 1;
                break;
            case 'm' or 'h' or 'l': break; // colours, cursor visibility: no effect on the text
            default: throw new InvalidOperationException($"unknown escape sequence ESC [{args}{s[j]} at {i}");
        }
        return j;
    }
}

/// <summary>A test that needs util-linux <c>script</c> to give a program a pseudo-terminal (Linux).</summary>
public sealed class ScriptFactAttribute : FactAttribute
{
    public ScriptFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/script"))
            Skip = "needs util-linux script (/usr/bin/script) on Linux to run the live display in a pseudo-terminal";
    }
}
