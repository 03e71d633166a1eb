using System.Diagnostics;
using Backprop.Cli.Runs;
using Backprop.Data;
using Backprop.Native;
using static TorchSharp.torch;

namespace Backprop.Cli.Bench;

/// <summary>
/// Times every <see cref="BenchMode"/> in one process and one run. The modes are interleaved: each timed round trains one
/// epoch of every mode, starting from a different mode each round, so that whatever else the machine does falls on all of
/// them alike. Each mode's epoch time is its median over the rounds.
/// </summary>
internal static class EpochBench
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
            return new BenchReport(options, device.ToString(), get_num_threads(), sgemm, results, SweepBatchSizes(ds, options, device, batchSizes ?? [], progress))
            {
                Kernels = CpuKernels.Current.ToString(),
            };
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

/// <summary>What <see cref="EpochBench"/> measures: the lesson's 784-50-10 with bs 50 by default.</summary>
/// <param name="Epochs">Timed epochs per mode, after the warm-up.</param>
/// <param name="Warmup">Untimed epochs per mode first (JIT, allocator, caches).</param>
/// <param name="BatchSize">Training batch size.</param>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Samples">Training samples per epoch: the first <c>Samples</c> of the training split; <see langword="null"/> for all 50,000.</param>
/// <param name="Modes">The modes to time; <see langword="null"/> for all.</param>
internal sealed record BenchOptions(int Epochs = 10, int Warmup = 1, int BatchSize = 50, int Hidden = 50, int? Samples = null, IReadOnlyList<BenchMode>? Modes = null)
{
    /// <summary>Checks every value and names the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public BenchOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegative(Warmup, nameof(Warmup));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        if (Samples is { } s) ArgumentOutOfRangeException.ThrowIfLessThan(s, BatchSize, nameof(Samples));
        return this;
    }

    /// <summary>Multiply-adds × 2 of one training step: forward (two matmuls), backward (dW1, dW2 and the hidden layer's gradient).</summary>
    public double FlopsPerStep => CpuThreads.FlopsPerStep(BatchSize, [Hidden]);
}

/// <summary>What <see cref="EpochBench"/> times: one way to train 784-nh-10 for an epoch.</summary>
internal enum BenchMode
{
    /// <summary>The baseline: a plain TorchSharp loop over slices of preloaded tensors, <c>zero_grad</c>, <c>backward</c>, <c>step</c>.</summary>
    Raw,

    /// <summary>Our final stage as <c>backprop train</c> runs it, unshuffled: <see cref="Data.DataLoader"/>, <c>nn.Sequential</c>, <c>optim.SGD</c>, <see cref="Training.Fit"/>.</summary>
    Final,

    /// <summary>The final stage with our shuffling <see cref="Data.Sampler"/> (a new torch permutation every epoch).</summary>
    Shuffled,

    /// <summary>The same model on TorchSharp's own <c>torch.utils.data.DataLoader</c> over a <c>Dataset</c> (one <c>GetTensor</c> per sample, then concatenation).</summary>
    TorchSharpLoader,

    /// <summary>Lesson 03's hand-written gradients and SGD (<see cref="Training.ManualStep"/>) through <see cref="Training.Fit"/>.</summary>
    Manual,
}

/// <summary>The names <see cref="BenchMode"/>s go by in reports and JSON.</summary>
internal static class BenchModes
{
    /// <summary>Every mode, in report order.</summary>
    public static IReadOnlyList<BenchMode> All { get; } = Enum.GetValues<BenchMode>();

    /// <summary><c>raw</c>, <c>final</c>, <c>shuffled</c>, <c>torchsharp_loader</c>, <c>manual</c>.</summary>
    public static string Name(this BenchMode mode) => mode switch
    {
        BenchMode.Raw => "raw",
        BenchMode.Final => "final",
        BenchMode.Shuffled => "shuffled",
        BenchMode.TorchSharpLoader => "torchsharp_loader",
        BenchMode.Manual => "manual",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "no such mode"),
    };
}

/// <summary>One mode's timings over the timed epochs.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="EpochSeconds">Wall-clock seconds of each timed epoch.</param>
/// <param name="RssMbPerEpoch">The process's resident memory (MB) after each timed epoch.</param>
/// <param name="Samples">Training samples per epoch.</param>
/// <param name="Steps">Training steps per epoch.</param>
/// <param name="ComputeBoundMsPerStep">The time a step's FLOPs take at the measured sgemm rate.</param>
internal sealed record ModeResult(BenchMode Mode, IReadOnlyList<double> EpochSeconds, IReadOnlyList<double> RssMbPerEpoch, int Samples, int Steps, double ComputeBoundMsPerStep)
{
    /// <summary>The median epoch: robust to the odd epoch another process slowed down.</summary>
    public double SecondsPerEpoch => Median(EpochSeconds);

    /// <summary>Training samples per second at <see cref="SecondsPerEpoch"/>.</summary>
    public double SamplesPerSecond => Samples / SecondsPerEpoch;

    /// <summary>Milliseconds per training step at <see cref="SecondsPerEpoch"/>.</summary>
    public double MsPerStep => SecondsPerEpoch * 1000 / Steps;

    /// <summary>How many times the compute bound a step takes.</summary>
    public double TimesComputeBound => MsPerStep / ComputeBoundMsPerStep;

    /// <summary>Growth of resident memory from the second timed epoch to the last, in percent (0 with fewer than two epochs).</summary>
    public double RssGrowthPercent => RssMbPerEpoch.Count < 2 ? 0 : (RssMbPerEpoch[^1] - RssMbPerEpoch[1]) / RssMbPerEpoch[1] * 100;

    /// <summary>The median of <paramref name="xs"/>; NaN when empty.</summary>
    internal static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>The final stage at one batch size: how the device's throughput grows with the batch.</summary>
/// <param name="BatchSize">Training batch size.</param>
/// <param name="SecondsPerEpoch">Median seconds per timed epoch.</param>
/// <param name="SamplesPerSecond">Training samples per second.</param>
internal sealed record BatchSizeResult(int BatchSize, double SecondsPerEpoch, double SamplesPerSecond);
