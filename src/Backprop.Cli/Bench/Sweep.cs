using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backprop.Data;
using Backprop.Cli.Charts;
using ScottPlot;
using ScottPlot.TickGenerators;
using static TorchSharp.torch;

namespace Backprop.Cli.Bench;

/// <summary>
/// <c>backprop bench --sweep</c>: the final stage (<c>DataLoader</c> + <c>nn.Sequential</c> + <c>optim.SGD</c> through
/// <c>Fit</c>) over a grid of batch sizes, hidden sizes and CPU thread counts, interleaved: each round trains one epoch of
/// every cell, starting from a different cell each round, so that the machine's other load falls on all cells alike.
/// A cell's time is its median round. Each cell's compute bound is its FLOPs at the sgemm rate measured on its thread count.
/// </summary>
internal static class Sweep
{
    /// <summary>Times every cell of <paramref name="options"/> on the first <see cref="SweepOptions.Samples"/> training images.</summary>
    public static SweepReport Run(Mnist mnist, SweepOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(mnist);
        options.Validate();
        var n = Math.Min(options.Samples, (int)mnist.XTrain.shape[0]);
        using var x = mnist.XTrain[..n].clone();
        using var y = mnist.YTrain[..n].clone();
        var ds = new Dataset(x, y);
        var before = get_num_threads();
        var sgemm = new Dictionary<int, double>();
        var cells = new List<(int Bs, int Nh, int Threads)>();
        foreach (var t in options.Threads)
        {
            set_num_threads(t);
            sgemm[t] = SgemmRate.Gflops(CPU);
            foreach (var bs in options.BatchSizes)
                foreach (var nh in options.Hidden)
                    cells.Add((bs, nh, t));
        }
        var runners = new List<IEpochRunner>();
        try
        {
            foreach (var (bs, nh, _) in cells)
            {
                manual_seed(1);
                runners.Add(FitRunner.Autograd(ds, bs, nh, CPU, shuffle: false));
            }
            var seconds = cells.Select(_ => new List<double>()).ToArray();
            for (var round = -1; round < options.Rounds; round++) // round -1 is the untimed warm-up
            {
                progress?.Invoke(round < 0 ? $"warm-up round: {cells.Count} cells" : $"timed round {round + 1} of {options.Rounds}");
                for (var k = 0; k < cells.Count; k++)
                {
                    var i = (k + Math.Max(round, 0)) % cells.Count;
                    set_num_threads(cells[i].Threads);
                    var clock = Stopwatch.StartNew();
                    runners[i].RunEpoch();
                    if (round >= 0) seconds[i].Add(clock.Elapsed.TotalSeconds);
                }
            }
            var results = cells.Select((c, i) =>
            {
                var flops = new BenchOptions(BatchSize: c.Bs, Hidden: c.Nh).FlopsPerStep;
                var steps = (n + c.Bs - 1) / c.Bs;
                var median = ModeResult.Median(seconds[i]);
                var boundSeconds = steps * flops / (sgemm[c.Threads] * 1e9);
                return new SweepCell(c.Bs, c.Nh, c.Threads, median, median * Mnist.TrainCount / n, median / boundSeconds, flops, seconds[i]);
            }).ToList();
            return new SweepReport(n, options.Rounds, Environment.ProcessorCount, sgemm, results);
        }
        finally
        {
            foreach (var r in runners) r.Dispose();
            set_num_threads(before);
        }
    }
}

/// <summary>The grid <see cref="Sweep"/> measures.</summary>
/// <param name="BatchSizes">Batch sizes.</param>
/// <param name="Hidden">Hidden sizes (784-nh-10).</param>
/// <param name="Threads">torch intra-op thread counts.</param>
/// <param name="Samples">Training images per epoch (the first of the training split).</param>
/// <param name="Rounds">Timed rounds, after one warm-up round.</param>
internal sealed record SweepOptions(IReadOnlyList<int> BatchSizes, IReadOnlyList<int> Hidden, IReadOnlyList<int> Threads, int Samples, int Rounds)
{
    /// <summary>The documented sweep: bs 50 to 4096, nh 50 to 2000, 1 and 2 threads, 10,000 images, 3 rounds (a few minutes on 2 cores).</summary>
    public static SweepOptions Full { get; } = new([50, 256, 1024, 4096], [50, 200, 500, 1000, 2000], [1, 2], 10_000, 3);

    /// <summary>The corners only, on 4,096 images, one round: seconds, for tests and a first look.</summary>
    public static SweepOptions Quick { get; } = new([50, 4096], [50, 1000], [1, 2], 4_096, 1);

    /// <summary>Checks every value.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public SweepOptions Validate()
    {
        foreach (var v in BatchSizes.Concat(Hidden).Concat(Threads)) ArgumentOutOfRangeException.ThrowIfLessThan(v, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(Samples, BatchSizes.Max(), nameof(Samples));
        return this;
    }
}

/// <summary>One cell of the sweep.</summary>
/// <param name="BatchSize">Batch size.</param>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Threads">torch intra-op threads.</param>
/// <param name="SecondsPerEpoch">Median seconds of an epoch over the sweep's images.</param>
/// <param name="SecondsPer50k">The same, scaled to the course's 50,000-image epoch.</param>
/// <param name="TimesComputeBound">How many times the step's FLOPs at the sgemm rate (on these threads) the epoch took.</param>
/// <param name="FlopsPerStep">A step's floating-point work.</param>
/// <param name="Rounds">Each timed round's seconds.</param>
internal sealed record SweepCell(int BatchSize, int Hidden, int Threads, double SecondsPerEpoch, double SecondsPer50k, double TimesComputeBound, double FlopsPerStep, IReadOnlyList<double> Rounds);

/// <summary>What <see cref="Sweep"/> measured: text, JSON and a plot.</summary>
internal sealed record SweepReport(int Samples, int Rounds, int Processors, IReadOnlyDictionary<int, double> SgemmGflops, IReadOnlyList<SweepCell> Cells)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>A table, one line per (bs, nh), both thread counts side by side, and the faster marked.</summary>
    public IEnumerable<string> Format()
    {
        var c = CultureInfo.InvariantCulture;
        var threads = Cells.Select(x => x.Threads).Distinct().Order().ToArray();
        yield return string.Create(c, $"final stage, {Samples:N0} images per epoch, median of {Rounds} interleaved round(s), {Processors} processors; sgemm {string.Join(", ", SgemmGflops.Select(kv => $"{kv.Value:F0} GFLOP/s on {kv.Key} thread(s)"))}");
        yield return $"{"bs",5} {"nh",5} {"MFLOP/step",10} " + string.Join(" ", threads.Select(t => $"{$"s/50k@{t}",10} {$"xbound@{t}",9}")) + "  best";
        foreach (var g in Cells.GroupBy(x => (x.BatchSize, x.Hidden)))
        {
            var best = g.MinBy(x => x.SecondsPerEpoch)!;
            yield return string.Create(c, $"{g.Key.BatchSize,5} {g.Key.Hidden,5} {g.First().FlopsPerStep / 1e6,10:F1} ") +
                string.Join(" ", threads.Select(t => g.FirstOrDefault(x => x.Threads == t) is { } cell
                    ? string.Create(c, $"{cell.SecondsPer50k,10:F3} {cell.TimesComputeBound,9:F2}") : $"{"",10} {"",9}")) +
                $"  {best.Threads} thread(s)";
        }
    }

    /// <summary>The report as JSON: <c>{"samples", "rounds", "processors", "sgemm_gflops": {"1": ..}, "cells": [...]}</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        samples = Samples,
        rounds = Rounds,
        processors = Processors,
        sgemm_gflops = SgemmGflops.ToDictionary(kv => kv.Key.ToString(CultureInfo.InvariantCulture), kv => kv.Value),
        cells = Cells,
    }, Json);

    /// <summary>Reads back what <see cref="ToJson"/> wrote, to print and draw an earlier sweep again (<c>bench --sweep --from</c>).</summary>
    /// <exception cref="DataFileException">The file is missing, unreadable, not a regular file, too large or not a sweep's JSON.</exception>
    public static SweepReport Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            using var file = PlainFile.OpenRead(path); // a FIFO would block, /dev/zero would never end
            if (file.Length > MaxJsonBytes) throw NotASweep(path, $"it has {file.Length:N0} bytes, more than the {MaxJsonBytes:N0} a sweep's JSON may have");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (NotPlainFileException e)
        {
            throw NotASweep(path, $"it is {e.Kind}");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFileException(path, "does not exist; give --from the file that bench --sweep --json wrote", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"cannot be read ({e.Message.TrimEnd('.')})", e);
        }
        Stored? stored;
        try
        {
            stored = JsonSerializer.Deserialize<Stored>(bytes, Json);
        }
        catch (JsonException e)
        {
            throw NotASweep(path, e.LineNumber is { } line ? $"line {line + 1}{(e.Path is { Length: > 1 } at ? $", {at}," : "")} is not what --json writes" : "it is not JSON");
        }
        if (stored?.Cells is not { Count: > 0 } cells || stored.SgemmGflops is null) throw NotASweep(path, "it holds no cells");
        if (cells.Count > MaxCells) throw NotASweep(path, $"it holds {cells.Count:N0} cells, more than the {MaxCells:N0} a sweep may have");
        foreach (var c in cells)
            if (c is null || c.BatchSize < 1 || c.Hidden < 1 || c.Threads < 1 || !(c.SecondsPer50k > 0) || !(c.TimesComputeBound > 0) || !double.IsFinite(c.SecondsPer50k) || !double.IsFinite(c.TimesComputeBound))
                throw NotASweep(path, "a cell has a size, thread count or time that is not positive");
        var sgemm = new Dictionary<int, double>();
        foreach (var (threads, rate) in stored.SgemmGflops)
            sgemm[int.TryParse(threads, NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : throw NotASweep(path, $"sgemm_gflops names {threads} threads")] = rate;
        return new SweepReport(stored.Samples, stored.Rounds, stored.Processors, sgemm, cells);
    }

    // The documented grid has 40 cells; its JSON is 14 KB.
    private const int MaxCells = 10_000;
    private const long MaxJsonBytes = 16 << 20;

    private static DataFileException NotASweep(string path, string why) =>
        new(path, $"not a report of bench --sweep --json ({why}); give --from a file that bench --sweep --json wrote");

    private sealed record Stored(int Samples, int Rounds, int Processors, Dictionary<string, double>? SgemmGflops, List<SweepCell>? Cells);

    /// <summary>Two panels against hidden size (log): seconds per 50,000-image epoch, and the multiple of the compute bound; a line per batch size and thread count.</summary>
    public Multiplot BuildPlot()
    {
        var c = CultureInfo.InvariantCulture;
        var hidden = Cells.Select(x => x.Hidden).Distinct().Order().ToArray();
        var time = Figure.New();
        time.Title("Final stage, seconds per epoch");
        time.YLabel("seconds per 50,000-image epoch (log)");
        var bound = Figure.New();
        bound.Title("Multiple of the compute bound");
        bound.YLabel("x compute bound (log; 1 = sgemm rate)");
        // A colour per batch size (matplotlib's tab10), solid for 1 thread, dashed for more.
        var sizes = Cells.Select(x => x.BatchSize).Distinct().Order().ToList();
        foreach (var g in Cells.GroupBy(x => (x.BatchSize, x.Threads)).OrderBy(g => g.Key))
        {
            var row = g.OrderBy(x => x.Hidden).ToArray();
            var color = Figure.Palette[sizes.IndexOf(g.Key.BatchSize) % Figure.Palette.Length];
            foreach (var (plot, ys) in new[] { (time, row.Select(x => x.SecondsPer50k)), (bound, row.Select(x => x.TimesComputeBound)) })
            {
                var line = plot.Add.Scatter(row.Select(x => Math.Log10(x.Hidden)).ToArray(), ys.Select(Math.Log10).ToArray(), color);
                line.LegendText = $"bs {g.Key.BatchSize}, {g.Key.Threads} thr";
                line.LineWidth = 2;
                line.MarkerSize = 6;
                line.LinePattern = g.Key.Threads == 1 ? LinePattern.Solid : LinePattern.Dashed;
            }
        }
        foreach (var plot in new[] { time, bound })
        {
            plot.XLabel("hidden units (log)");
            plot.Axes.Bottom.TickGenerator = new NumericManual([.. hidden.Select(h => Math.Log10(h))], [.. hidden.Select(h => h.ToString(c))]);
            plot.Axes.Left.TickGenerator = LogTicks(plot == time ? [1] : [1, 2, 5]);
            plot.Axes.Bottom.MinorTickStyle.Length = 0;
        }
        time.ShowLegend(Alignment.LowerRight);
        bound.ShowLegend(Alignment.UpperRight);
        return Figure.Columns(time, bound);
    }

    /// <summary>Renders <see cref="BuildPlot"/>'s panels, 1200 × 520, to the PNG file <paramref name="path"/>.</summary>
    public void SavePlot(string path) => BuildPlot().SavePng(path, 1200, 520);

    // A log axis drawn on log10 of the values: labelled ticks at these multiples of each power of ten, minor ones at the rest of 2 to 9.
    private static NumericManual LogTicks(double[] labelled)
    {
        var ticks = new NumericManual();
        for (var e = -3; e <= 4; e++)
            for (var m = 1; m <= 9; m++)
            {
                var v = m * Math.Pow(10, e);
                if (labelled.Contains(m)) ticks.AddMajor(Math.Log10(v), v.ToString("0.###", CultureInfo.InvariantCulture));
                else ticks.AddMinor(Math.Log10(v));
            }
        return ticks;
    }
}
