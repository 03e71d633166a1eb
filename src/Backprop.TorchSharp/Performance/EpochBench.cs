using System.Diagnostics;
using Backprop.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Performance;

/// <summary>
/// Times every <see cref="BenchMode"/> in one process and one run. The modes are interleaved: each timed round trains one
/// epoch of every mode, starting from a different mode each round, so that whatever else the machine does falls on all of
/// them alike. Each mode's epoch time is its median over the rounds.
/// </summary>
public static class EpochBench
{
    /// <summary>Measures <paramref name="options"/> on <paramref name="mnist"/>'s training split, on <paramref name="device"/>.</summary>
    /// <param name="mnist">The data (any device; the bench copies what it needs to <paramref name="device"/> once).</param>
    /// <param name="options">Epochs, sizes and modes.</param>
    /// <param name="device">Where to train; <see langword="null"/> for the CPU.</param>
    /// <param name="batchSizes">Batch sizes to time the final stage at, besides the modes (e.g. 50 and 4096 on CUDA); none by default.</param>
    /// <param name="progress">Told what is running, a line at a time.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static BenchReport Run(Mnist mnist, BenchOptions options, Device? device = null, IReadOnlyList<int>? batchSizes = null, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(mnist);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        device ??= CPU;
        var n = options.Samples ?? (int)mnist.XTrain.shape[0];
        using var x = mnist.XTrain[..n].to(device, copy: true);
        using var y = mnist.YTrain[..n].to(device, copy: true);
        var ds = new Dataset(x, y);
        var sgemm = SgemmRate.Gflops(device);
        var boundMs = options.FlopsPerStep / (sgemm * 1e9) * 1000;
        var modes = options.Modes ?? BenchModes.All;

        var runners = new List<IEpochRunner>();
        try
        {
            foreach (var mode in modes)
            {
                manual_seed(1);
                runners.Add(Create(mode, ds, options, device));
            }
            for (var e = 0; e < options.Warmup; e++)
                foreach (var (r, m) in runners.Zip(modes))
                {
                    progress?.Invoke($"warm-up epoch {e + 1}: {m.Name()}");
                    r.RunEpoch();
                }
            var seconds = modes.Select(_ => new List<double>()).ToArray();
            var rss = modes.Select(_ => new List<double>()).ToArray();
            for (var e = 0; e < options.Epochs; e++)
            {
                progress?.Invoke($"timed epoch {e + 1} of {options.Epochs}");
                for (var k = 0; k < runners.Count; k++)
                {
                    var i = (k + e) % runners.Count; // a different mode goes first each round
                    var clock = Stopwatch.StartNew();
                    runners[i].RunEpoch();
                    seconds[i].Add(clock.Elapsed.TotalSeconds);
                    rss[i].Add(ResidentMemory.Megabytes());
                }
            }
            var steps = (n + options.BatchSize - 1) / options.BatchSize;
            var results = modes.Select((m, i) => new ModeResult(m, seconds[i], rss[i], n, steps, boundMs)).ToList();
            return new BenchReport(options, device.ToString(), get_num_threads(), sgemm, results, SweepBatchSizes(ds, options, device, batchSizes ?? [], progress));
        }
        finally
        {
            foreach (var r in runners) r.Dispose();
        }
    }

    private static IEpochRunner Create(BenchMode mode, Dataset ds, BenchOptions o, Device device) => mode switch
    {
        BenchMode.Raw => new RawRunner(ds.X, ds.Y, o.BatchSize, o.Hidden, device),
        BenchMode.Final => FitRunner.Autograd(ds, o.BatchSize, o.Hidden, device, shuffle: false),
        BenchMode.Shuffled => FitRunner.Autograd(ds, o.BatchSize, o.Hidden, device, shuffle: true),
        BenchMode.TorchSharpLoader => new TorchSharpLoaderRunner(ds.X, ds.Y, o.BatchSize, o.Hidden, device),
        BenchMode.Manual => FitRunner.Manual(ds, o.BatchSize, o.Hidden, device),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "no such mode"),
    };

    private static List<BatchSizeResult> SweepBatchSizes(Dataset ds, BenchOptions o, Device device, IReadOnlyList<int> batchSizes, Action<string>? progress)
    {
        var results = new List<BatchSizeResult>();
        foreach (var bs in batchSizes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(bs, 1, nameof(batchSizes));
            progress?.Invoke($"final stage at bs {bs}");
            manual_seed(1);
            using var runner = FitRunner.Autograd(ds, bs, o.Hidden, device, shuffle: false);
            for (var e = 0; e < o.Warmup; e++) runner.RunEpoch();
            var times = new List<double>();
            for (var e = 0; e < o.Epochs; e++)
            {
                var clock = Stopwatch.StartNew();
                runner.RunEpoch();
                times.Add(clock.Elapsed.TotalSeconds);
            }
            var median = ModeResult.Median(times);
            results.Add(new BatchSizeResult(bs, median, ds.Count / median));
        }
        return results;
    }
}
