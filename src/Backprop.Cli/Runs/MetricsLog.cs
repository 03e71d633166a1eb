using System.Text;
using System.Text.Json;
using Backprop.Training;

namespace Backprop.Cli.Runs;

/// <summary>
/// Per-epoch metrics as JSON Lines: one object per epoch with <c>epoch</c> (counting from 1), <c>train_loss</c>,
/// <c>valid_loss</c>, <c>valid_accuracy</c> and <c>seconds</c>, the names the checkpoint's history uses, and, where known,
/// <c>cpu_kernels</c>: the kernels that trained the epoch (<c>aten</c>, <c>pinned</c>, <c>mkl</c>). Rewritten whole and
/// atomically after every epoch.
/// </summary>
internal static class MetricsLog
{
    /// <summary>One line of JSON for <paramref name="r"/>, trained on <paramref name="kernels"/> when known.</summary>
    public static string Line(EpochResult r, EpochKernels? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(r);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", r.Epoch);
            Number(w, "train_loss", r.TrainLoss);
            Number(w, "valid_loss", r.ValidLoss);
            Number(w, "valid_accuracy", r.ValidAccuracy);
            Number(w, "seconds", r.Seconds);
            if (kernels is not null)
            {
                w.WriteStartObject("cpu_kernels");
                w.WriteString("aten", kernels.Aten);
                w.WriteBoolean("pinned", kernels.Pinned);
                w.WriteString("mkl", kernels.Mkl);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes one line per result to <paramref name="path"/>, replacing the file atomically; <paramref name="kernels"/> holds each epoch's, where known.</summary>
    public static void Write(string path, IEnumerable<EpochResult> history, IReadOnlyList<EpochKernels?>? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        AtomicFile.WriteText(path, string.Concat(history.Select((r, i) => Line(r, kernels is not null && i < kernels.Count ? kernels[i] : null) + "\n")));
    }

    // JSON has no NaN: a missing measurement (no validation) is written as null.
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }

    /// <summary>Parses a line written by <see cref="Line"/> back (for tests and tools); null values read as NaN.</summary>
    public static EpochResult Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var o = doc.RootElement;
        double Get(string name) => o.GetProperty(name).ValueKind == JsonValueKind.Null ? double.NaN : o.GetProperty(name).GetDouble();
        return new EpochResult(o.GetProperty("epoch").GetInt32(), Get("train_loss"), Get("valid_loss"), Get("valid_accuracy"), Get("seconds"));
    }
}
