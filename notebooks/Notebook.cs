// What both notebooks share (each takes it in with `#:include Notebook.cs`): Python's and PyTorch's printing (Py), and
// the notebook's frame (Notebook): its headings, each Out[N] held against the course's stored output and marked in place
// where it differs, fastcore's test_close and the other checks, and the summary that counts them.
using System.Globalization;
using System.Runtime.CompilerServices;
using Backprop.Display;
using Backprop.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

/// <summary>
/// A notebook's frame. <see cref="Out"/> opens the output of the course's code cell N; what the notebook prints until the
/// next heading, cell, note or check is that cell's output, and it is printed once the cell ends, under a marker that says
/// whether it is the text the course notebook stores for the cell (<c>course/NAME.txt</c>, beside this file).
/// </summary>
static class Notebook
{
    private static readonly TextWriter Stdout = Console.Out;
    private static readonly List<(string Name, bool Pass)> Checks = [];
    private static readonly List<int> Matching = [], Differing = [];
    private static readonly HashSet<int> Printed = [];
    private static readonly (IReadOnlyDictionary<int, string[]>? Cells, string Source) Course = ReadCourse();
    private static StringWriter? _cell;
    private static int _cellNumber;
    private static CpuKernelsState? _kernels;

    static Notebook()
    {
        // A notebook that throws still shows what its open cell printed before the trace.
        AppDomain.CurrentDomain.UnhandledException += (_, _) => Close();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Close();
    }

    /// <summary>The title of the last heading: the section a check belongs to.</summary>
    public static string Section { get; private set; } = "";

    /// <summary>A heading of the course notebook, with its level: <c>## Title</c> or <c>### Title</c>.</summary>
    public static void Header(string header)
    {
        Close();
        Stdout.WriteLine($"\n{header}");
        Section = header.TrimStart('#', ' ');
    }

    /// <summary>
    /// Opens the output of the course's code cell <paramref name="n"/> (counted from 1 among the course notebook's code
    /// cells): <paramref name="text"/>, then whatever the notebook prints up to the next heading, cell, note or check.
    /// </summary>
    public static void Out(int n, params string[] text)
    {
        Close();
        (_cell, _cellNumber) = (new StringWriter(), n);
        Console.SetOut(_cell);
        foreach (var t in text) Console.WriteLine(t);
    }

    /// <summary>A cell whose stored output an in-order run cannot give: one line saying why, then ours (not compared).</summary>
    public static void Note(int n, string why, params string[] ours)
    {
        Close();
        Stdout.WriteLine($"# In[{n}] is not the course's output: {why}. Ours:");
        foreach (var t in ours) Stdout.WriteLine(t);
    }

    /// <summary>Says which CPU kernels compute what follows (<see cref="CpuKernels.Pin()"/>'s answer).</summary>
    public static void Kernels(CpuKernelsState state)
    {
        Close();
        _kernels = state;
        Stdout.WriteLine($"# CPU kernels: {state}");
    }

    /// <summary>A check: silent when it passes, as fastcore's are; a failure also prints a <c>#</c> line at once. The summary lists them all.</summary>
    public static void check(string name, bool pass)
    {
        Close();
        Checks.Add((name, pass));
        if (!pass) Stdout.WriteLine($"# FAIL {name}");
    }

    /// <summary>fastcore's <c>test_close(a, b, eps)</c>: |a - b| &lt; eps everywhere (the shapes must agree).</summary>
    public static void test_close(Tensor a, Tensor b, double eps = 1e-5, string? what = null,
        [CallerArgumentExpression(nameof(a))] string aName = "", [CallerArgumentExpression(nameof(b))] string bName = "")
    {
        var diff = MaxAbsDiff(a, b);
        check(string.Create(CultureInfo.InvariantCulture, $"test_close {Section}: {what ?? $"{aName} vs {bName}"} (max |a - b| = {diff:0.00e+00}, eps {eps})"), diff < eps);
    }

    /// <summary>Prints the summary: every check, then how many course outputs match. Returns the exit code: 1 if a check failed.</summary>
    public static int Summary()
    {
        Header("## Summary");
        foreach (var (name, pass) in Checks) Stdout.WriteLine($"check {name}: {(pass ? "pass" : "FAIL")}");
        if (Course.Cells is not { } cells) Stdout.WriteLine($"course outputs not compared: {Course.Source}");
        else
        {
            var missing = cells.Keys.Where(c => !Printed.Contains(c)).Order().ToList();
            Stdout.WriteLine($"{Matching.Count} of {cells.Count} course outputs match" + (Differing.Count == 0 ? "" : $"; {Differing.Count} differ{(Differing.Count == 1 ? "s" : "")}: {Cells(Differing)}")
                + (missing.Count == 0 ? "" : $"; not printed: {Cells(missing)}"));
            if (Differing.Count > 0)
                Stdout.WriteLine(_kernels is { Pinned: true }
                    ? "# with the pinned kernels every one should match: please report it, with `backprop info`"
                    : $"# the course's numbers come with the pinned AVX2 kernels, which this run does not have: {_kernels?.Note ?? "CpuKernels.Pin was not called"}");
        }
        var failed = Checks.Count(c => !c.Pass);
        Stdout.WriteLine(failed == 0 ? $"all {Checks.Count} checks passed" : $"{failed} of {Checks.Count} checks FAILED");
        return failed == 0 ? 0 : 1;
    }

    private static string Cells(IEnumerable<int> cells) => string.Join(", ", cells.Select(c => $"Out[{c}]"));

    // Ends the open cell: its output goes out under its marker.
    private static void Close()
    {
        if (_cell is null) return;
        Console.SetOut(Stdout);
        var lines = _cell.ToString().Split('\n').Select(l => l.TrimEnd()).Reverse().SkipWhile(l => l.Length == 0).Reverse().ToArray();
        _cell = null;
        Printed.Add(_cellNumber);
        Stdout.WriteLine($"Out[{_cellNumber}]:{Compare(_cellNumber, lines)}");
        foreach (var l in lines) Stdout.WriteLine(l);
    }

    // "" when the cell prints the course's text (or there is no course to compare with), else what differs.
    private static string Compare(int n, string[] ours)
    {
        if (Course.Cells is not { } cells) return "";
        if (!cells.TryGetValue(n, out var theirs))
        {
            Differing.Add(n);
            return " differs from the course (it stores no output for this cell)";
        }
        for (var i = 0; i < Math.Max(ours.Length, theirs.Length); i++)
        {
            if (i < ours.Length && i < theirs.Length && ours[i] == theirs[i]) continue;
            Differing.Add(n);
            return i < theirs.Length ? $" differs from the course (line {i + 1}: \"{theirs[i]}\")" : $" differs from the course (its output has {theirs.Length} lines)";
        }
        Matching.Add(n);
        return "";
    }

    // course/NAME.txt: lines starting with # say where the outputs came from; then a line `=== Out[N]` opens the text the
    // course notebook stores for its code cell N. Lines compare with trailing whitespace trimmed, trailing blank lines dropped.
    private static (IReadOnlyDictionary<int, string[]>?, string) ReadCourse()
    {
        var entry = AppContext.GetData("EntryPointFilePath") as string ?? "";
        var path = Path.Combine(Path.GetDirectoryName(entry) ?? "", "course", Path.GetFileNameWithoutExtension(entry) + ".txt");
        try
        {
            var cells = new Dictionary<int, List<string>>();
            List<string>? block = null;
            foreach (var line in File.ReadLines(path).SkipWhile(l => l.StartsWith('#')).Select(l => l.TrimEnd()))
            {
                if (line.StartsWith("=== Out[", StringComparison.Ordinal) && line.EndsWith(']'))
                    cells[int.Parse(line["=== Out[".Length..^1], CultureInfo.InvariantCulture)] = block = [];
                else block?.Add(line);
            }
            return (cells.ToDictionary(kv => kv.Key, kv => kv.Value.AsEnumerable().Reverse().SkipWhile(l => l.Length == 0).Reverse().ToArray()), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return (null, $"{path}: {e.Message}");
        }
    }

    // max |a - b|, a million elements at a time: comparing two (50000, 784) tensors whole would allocate two more of them.
    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return float.PositiveInfinity;
        using var scope = NewDisposeScope();
        var (fa, fb) = (a.reshape(-1), b.reshape(-1));
        var max = 0f;
        for (var at = 0L; at < fa.shape[0]; at += 1 << 20)
        {
            using var chunk = NewDisposeScope();
            var length = Math.Min(1 << 20, fa.shape[0] - at);
            max = MathF.Max(max, (fa.narrow(0, at, length) - fb.narrow(0, at, length)).abs().max().item<float>());
        }
        return max;
    }
}

/// <summary>Python's and PyTorch's printing, so that each output reads as the course notebook shows it.</summary>
static class Py
{
    private static int _precision = 2, _lineWidth = 80;

    /// <summary>PyTorch's <c>torch.set_printoptions</c>; the course calls it with precision=2 and sci_mode=False, which is all TensorFormat prints.</summary>
    public static void set_printoptions(int precision, int linewidth) => (_precision, _lineWidth) = (precision, linewidth);

    /// <summary>
    /// PyTorch's tensor repr. TorchSharp does not expose the name of a tensor's autograd node, so a tensor that has one is
    /// printed with the name the caller gives (PyTorch's for that op), after checking that the tensor does have one.
    /// </summary>
    public static string Repr(Tensor t, string? gradFn = null)
    {
        var hasGraph = t.requires_grad && !t.is_leaf;
        if (hasGraph != (gradFn is not null)) throw new InvalidOperationException($"grad_fn {gradFn ?? "(none)"} for a tensor {(hasGraph ? "with" : "without")} one");
        var suffix = gradFn is not null ? $"grad_fn=<{gradFn}>" : t.requires_grad ? "requires_grad=True" : null;
        var s = TensorFormat.Str(t, _precision, _lineWidth);
        if (suffix is not null)
        {
            // PyTorch's _add_suffixes: the suffix goes on a line of its own if the last line has no room for it.
            s = s[..^1];
            var lastLine = s.Length - s.LastIndexOf('\n') + 1;
            s += (lastLine + suffix.Length + 2 > _lineWidth ? ",\n" + new string(' ', "tensor(".Length) : ", ") + suffix + ")";
        }
        return t is Parameter ? "Parameter containing:\n" + s : s;
    }

    /// <summary>PyTorch's module repr: the name, a Linear's sizes, then each child indented.</summary>
    public static string Repr(nn.Module m)
    {
        string[] extra = m is Linear l ? [$"in_features={l.in_features}, out_features={l.out_features}, bias={(l.bias is null ? "False" : "True")}"] : [];
        var children = m is ModuleList<nn.Module<Tensor, Tensor>> list // TorchSharp's ModuleList lists its items, not as children
            ? list.Select((ch, i) => (name: i.ToString(CultureInfo.InvariantCulture), module: (nn.Module)ch))
            : m.named_children();
        string[] lines = [.. extra, .. children.Select(ch => $"({ch.name}): {Repr(ch.module).Replace("\n", "\n  ", StringComparison.Ordinal)}")];
        var body = lines.Length == 0 ? "" : extra.Length == 1 && lines.Length == 1 ? extra[0] : "\n  " + string.Join("\n  ", lines) + "\n";
        return $"{m.GetType().Name.Split('`')[0]}({body})";
    }

    /// <summary>A tensor's <c>.shape</c>: <c>torch.Size([50000, 784])</c>.</summary>
    public static string Size(Tensor t) => $"torch.Size([{string.Join(", ", t.shape)}])";

    /// <summary>IPython's pretty print of a tuple or list: one line if it fits in 79 characters, else one item a line.</summary>
    public static string Pretty(char open, char close, params string[] items)
    {
        var flat = open + string.Join(", ", items) + close;
        if (flat.Length <= 79 && !flat.Contains('\n', StringComparison.Ordinal)) return flat;
        return open + string.Join(",\n ", items.Select(i => i.Replace("\n", "\n ", StringComparison.Ordinal))) + close;
    }

    /// <summary>Python's str of a tuple, as print shows it.</summary>
    public static string PyTuple(params string[] items) => "(" + string.Join(", ", items) + ")";

    /// <summary>Python's str of a list of ints.</summary>
    public static string PyList(IEnumerable<int> items) => "[" + string.Join(", ", items) + "]";

    /// <summary>Python's repr of a float: the shortest text that reads back as the same double.</summary>
    public static string PyFloat(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
