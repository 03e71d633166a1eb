using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backprop.Data;
using Backprop.Scratch;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop gradcheck</c>: every manual gradient of lesson 03 against autograd, on MNIST.</summary>
internal static class GradCheckCommand
{
    public static Command Create(CliConsole io)
    {
        var json = Options.PathOption("--json", "Also write the rows as JSON to this file", "FILE");
        var data = Options.Data();
        var command = new Command("gradcheck", "Check every hand-written gradient (Lin, ReLU, MSE, log-softmax, NLL, cross-entropy, the models) against autograd on MNIST")
        {
            json, data,
        };
        command.SetAction(p => Run(io, p.GetValue(json), p.GetValue(data)!));
        return command;
    }

    /// <summary>Three significant digits in PyTorch's e-notation, <c>3.05e-05</c> (.NET's "E2" writes <c>3.05E-005</c>); NaN and infinities by name.</summary>
    internal static string Scientific(double v) =>
        double.IsFinite(v) ? v.ToString("0.00e+00", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);

    private static int Run(CliConsole io, string? json, string dataDir)
    {
        if (json is not null && !OutputFile.Check(io, json, "--json", OutputFile.Json, [])) return ExitCodes.Failed;
        using var mnist = Mnist.Load(dataDir);
        var rows = GradCheck.Run(mnist);
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "component", "tensor", "shape", "reference" }) table.AddColumn(c);
        foreach (var c in new[] { "max |manual - ref|", "tolerance", "result" }) table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.Component), Markup.Escape(r.Tensor), $"({string.Join(", ", r.Shape)})", Markup.Escape(r.Reference),
                Scientific(r.MaxAbsDiff), Scientific(r.Tolerance), r.Pass ? "pass" : "[red]FAIL[/]");
        io.Out.Write(table);
        if (json is not null && !OutputFile.Write(io, json, "--json", () => AtomicFile.WriteText(json, GradCheckJson.Serialize(rows) + "\n")))
            return ExitCodes.Failed;
        var failed = rows.Count(r => !r.Pass);
        io.Out.WriteLine(failed == 0 ? $"all {rows.Count} gradients match" : $"{failed} of {rows.Count} gradients do not match");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}

/// <summary>
/// <see cref="GradCheck"/>'s rows as JSON for machines: <c>{"all_pass": true, "rows": [{"component": "functions", "tensor": "x",
/// "shape": [50000, 784], "reference": "autograd", "dtype": "float32", "max_abs_diff": ..., "max_abs_reference": ...,
/// "tolerance": 0.01, "pass": true}, ...]}</c>. A NaN or infinite difference is written as <c>"NaN"</c> or <c>"Infinity"</c>.
/// </summary>
internal static class GradCheckJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    /// <summary>The rows as a JSON document.</summary>
    public static string Serialize(IReadOnlyList<GradCheckRow> rows) =>
        JsonSerializer.Serialize(new Document(rows.All(r => r.Pass), rows), Options);

    private sealed record Document(bool AllPass, IReadOnlyList<GradCheckRow> Rows);
}
