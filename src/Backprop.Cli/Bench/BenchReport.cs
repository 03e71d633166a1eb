using System.Globalization;
using System.Text.Json;

namespace Backprop.Cli.Bench;

/// <summary>What one <see cref="EpochBench"/> run measured, with the ratios the performance targets are stated in.</summary>
/// <param name="Options">What was measured.</param>
/// <param name="Device">The device, e.g. <c>cpu</c>.</param>
/// <param name="Threads">torch's intra-op threads.</param>
/// <param name="SgemmGflops">The measured float32 matmul rate.</param>
/// <param name="Modes">One result per mode, in <see cref="BenchModes.All"/> order.</param>
/// <param name="BatchSizes">The final stage at other batch sizes (empty unless asked for).</param>
internal sealed record BenchReport(BenchOptions Options, string Device, int Threads, double SgemmGflops, IReadOnlyList<ModeResult> Modes, IReadOnlyList<BatchSizeResult> BatchSizes)
{
    /// <summary>The CPU kernels that ran (<see cref="Backprop.Native.CpuKernelsState"/>'s line), as <c>--cpu-kernels</c> chose them.</summary>
    public string Kernels { get; init; } = "";

    /// <summary>The targets: (ratio name, numerator, denominator, limit, whether the ratio must stay at most (true) or reach at least (false) the limit).</summary>
    public static IReadOnlyList<(string Name, BenchMode Of, BenchMode To, double Limit, bool AtMost)> Targets { get; } =
    [
        ("final_vs_raw", BenchMode.Final, BenchMode.Raw, 1.10, true),
        ("shuffled_vs_raw", BenchMode.Shuffled, BenchMode.Raw, 1.15, true),
        ("manual_vs_raw", BenchMode.Manual, BenchMode.Raw, 1.25, true),
        ("torchsharp_loader_vs_final", BenchMode.TorchSharpLoader, BenchMode.Final, 2.0, false),
    ];

    /// <summary>Each target's ratio of epoch times with its spread over the rounds, for the modes that were measured.</summary>
    public IReadOnlyDictionary<string, RatioSpread> Spreads =>
        Targets.Where(t => Find(t.Of) is not null && Find(t.To) is not null)
            .ToDictionary(t => t.Name, t => RatioSpread.Of(Find(t.Of)!.EpochSeconds, Find(t.To)!.EpochSeconds));

    /// <summary>Each target's ratio (the median of its per-round quotients), for the modes that were measured.</summary>
    public IReadOnlyDictionary<string, double> Ratios => Spreads.ToDictionary(p => p.Key, p => p.Value.Median);

    /// <summary>Each measured ratio against its target (docs/PERFORMANCE.md), in <see cref="Targets"/> order.</summary>
    public IReadOnlyList<(string Name, double Limit, bool AtMost, RatioSpread Spread, Verdict Verdict)> Checks =>
        [.. Targets.Where(t => Spreads.ContainsKey(t.Name)).Select(t => (t.Name, t.Limit, t.AtMost, Spreads[t.Name], Spreads[t.Name].Against(t.Limit, t.AtMost)))];

    /// <summary>The result of <paramref name="mode"/>, or <see langword="null"/> when it was not measured.</summary>
    public ModeResult? Find(BenchMode mode) => Modes.FirstOrDefault(m => m.Mode == mode);

    /// <summary>The report as JSON: one object per mode by name, then <c>ratios</c>, <c>batch_sizes</c> and <c>machine</c>.</summary>
    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            foreach (var m in Modes)
            {
                w.WriteStartObject(m.Mode.Name());
                w.WriteNumber("seconds_per_epoch", m.SecondsPerEpoch);
                w.WriteNumber("samples_per_second", m.SamplesPerSecond);
                Array(w, "rss_mb_per_epoch", m.RssMbPerEpoch);
                Array(w, "epoch_seconds", m.EpochSeconds);
                w.WriteNumber("ms_per_step", m.MsPerStep);
                w.WriteNumber("compute_bound_ms_per_step", m.ComputeBoundMsPerStep);
                w.WriteNumber("x_compute_bound", m.TimesComputeBound);
                w.WriteNumber("rss_growth_percent", m.RssGrowthPercent);
                w.WriteEndObject();
            }
            w.WriteStartObject("ratios");
            foreach (var (name, value) in Ratios) w.WriteNumber(name, value);
            w.WriteEndObject();
            w.WriteStartObject("ratio_spreads");
            foreach (var c in Checks)
            {
                w.WriteStartObject(c.Name);
                w.WriteNumber("median", c.Spread.Median);
                Nullable(w, "low", c.Spread.Low);
                Nullable(w, "high", c.Spread.High);
                w.WriteNumber("confidence", c.Spread.Confidence);
                w.WriteNumber("rounds", c.Spread.Rounds);
                w.WriteString("target", string.Create(CultureInfo.InvariantCulture, $"{(c.AtMost ? "<=" : ">=")} {c.Limit:F2}"));
                w.WriteString("verdict", c.Verdict.ToString().ToLowerInvariant());
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteStartArray("batch_sizes");
            foreach (var b in BatchSizes)
            {
                w.WriteStartObject();
                w.WriteNumber("batch_size", b.BatchSize);
                w.WriteNumber("seconds_per_epoch", b.SecondsPerEpoch);
                w.WriteNumber("samples_per_second", b.SamplesPerSecond);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("machine");
            w.WriteString("device", Device);
            w.WriteNumber("processors", Environment.ProcessorCount);
            w.WriteNumber("torch_threads", Threads);
            w.WriteNumber("sgemm_gflops", SgemmGflops);
            w.WriteString("cpu_kernels", Kernels);
            w.WriteNumber("epochs", Options.Epochs);
            w.WriteNumber("warmup", Options.Warmup);
            w.WriteNumber("batch_size", Options.BatchSize);
            w.WriteNumber("hidden", Options.Hidden);
            w.WriteNumber("flops_per_step", Options.FlopsPerStep);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void WriteJson(string path) => AtomicFile.WriteText(path, ToJson() + "\n");

    /// <summary>
    /// Whether no measured ratio misses its target with its whole interval (docs/PERFORMANCE.md); <c>bench --check-targets</c>
    /// exits 1 when one does. An interval that holds the target decides nothing, so it does not fail the check.
    /// </summary>
    public bool MeetsTargets => Checks.All(c => c.Verdict != Verdict.Missed);

    /// <summary>A ratio and its spread: <c>0.886  (0.872 to 0.901, 98% interval of 10 rounds)</c>.</summary>
    public static string Describe(RatioSpread s) => s is { Low: { } low, High: { } high }
        ? string.Create(CultureInfo.InvariantCulture, $"{s.Median,6:F3}  ({low:F3} to {high:F3}, {s.Confidence * 100:F0}% interval of {s.Rounds} rounds)")
        : string.Create(CultureInfo.InvariantCulture, $"{s.Median,6:F3}  (no interval: {s.Rounds} round(s), {RatioSpread.MinRounds} needed)");

    /// <summary>The report as lines of text: a table of the modes, the ratios between them with their spread, the batch sizes;
    /// with <paramref name="targets"/>, each ratio's target and its verdict (our own goals, in docs/PERFORMANCE.md).</summary>
    public IEnumerable<string> Format(bool targets = false)
    {
        var c = CultureInfo.InvariantCulture;
        yield return string.Create(c, $"784-{Options.Hidden}-10, bs {Options.BatchSize}, {(Modes.Count > 0 ? Modes[0].Samples : 0):N0} samples per epoch, {Options.Epochs} timed epoch(s) after {Options.Warmup} warm-up, on {Device} ({Threads} torch thread(s), {Environment.ProcessorCount} processors)");
        yield return $"CPU kernels: {Kernels}";
        yield return string.Create(c, $"sgemm {SgemmGflops:F0} GFLOP/s; a step is {Options.FlopsPerStep / 1e6:F2} MFLOP, so the compute bound is {(Modes.Count > 0 ? Modes[0].ComputeBoundMsPerStep : 0):F4} ms per step");
        yield return string.Create(c, $"{"mode",-18} {"s/epoch",8} {"samples/s",10} {"ms/step",8} {"x bound",8} {"RSS MB",8} {"RSS growth",10}");
        foreach (var m in Modes)
            yield return string.Create(c, $"{m.Mode.Name(),-18} {m.SecondsPerEpoch,8:F3} {m.SamplesPerSecond,10:F0} {m.MsPerStep,8:F4} {m.TimesComputeBound,8:F1} {m.RssMbPerEpoch[^1],8:F0} {m.RssGrowthPercent,9:F2}%");
        foreach (var (name, limit, atMost, spread, verdict) in Checks)
        {
            var target = targets ? string.Create(c, $"  target {(atMost ? "<=" : ">=")} {limit:F2}  {verdict.ToString().ToLowerInvariant()}") : "";
            yield return $"{name,-27} {Describe(spread)}{target}";
        }
        foreach (var b in BatchSizes)
            yield return string.Create(c, $"final stage, bs {b.BatchSize,5}: {b.SecondsPerEpoch,8:F3} s/epoch, {b.SamplesPerSecond,10:F0} samples/s");
    }

    private static void Nullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static void Array(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
