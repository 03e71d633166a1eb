using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backprop.Scratch;

/// <summary>
/// <see cref="GradCheck"/>'s rows as JSON for machines: <c>{"all_pass": true, "rows": [{"component": "functions", "tensor": "x",
/// "shape": [50000, 784], "reference": "autograd", "dtype": "float32", "max_abs_diff": ..., "max_abs_reference": ...,
/// "tolerance": 0.01, "pass": true}, ...]}</c>. A NaN or infinite difference is written as <c>"NaN"</c> or <c>"Infinity"</c>.
/// </summary>
public static class GradCheckJson
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

    /// <summary>Writes <see cref="Serialize"/>'s document to <paramref name="path"/> (UTF-8, replacing the file).</summary>
    public static void Write(string path, IReadOnlyList<GradCheckRow> rows) => File.WriteAllText(path, Serialize(rows) + "\n");

    private sealed record Document(bool AllPass, IReadOnlyList<GradCheckRow> Rows);
}
