using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Cli.Runs;

/// <summary>
/// How many threads libtorch uses inside one op on the CPU, chosen by the step's work. A step of the lesson's model is
/// 8 MFLOP in a few dozen small ops: waking a second thread for each op costs more than it saves (0.28 s per epoch on one
/// thread, 0.48 s on two, on the 2-core CI machine). At 784-1000-10 a step is 160 MFLOP and two threads win (1.49 s
/// against 2.23 s). The per-op cost of a second thread is about 0.2 ms per step and two threads save about 5 ps per FLOP,
/// so they cross near 40 MFLOP per step (nh ≈ 250 at bs 50, or nh 50 at bs ≈ 250); <c>backprop bench --sweep</c> measures
/// it (docs/PERFORMANCE.md).
/// </summary>
internal static class CpuThreads
{
    /// <summary>From this much floating-point work per training step on, every processor; below it, one thread.</summary>
    public const double ParallelFromFlopsPerStep = 40e6;

    /// <summary>
    /// Multiply-adds × 2 of one training step of 784-h1-...-hL-10 (<paramref name="hidden"/>; <c>[nh]</c> for the lesson's
    /// 784-nh-10): each layer's forward matmul and its dW, and every layer's input gradient but the first's (nothing needs dL/dx).
    /// </summary>
    public static double FlopsPerStep(int batchSize, IReadOnlyList<int> hidden)
    {
        double[] sizes = [784, .. hidden.Select(h => (double)h), 10];
        return 2.0 * batchSize * sizes.Zip(sizes.Skip(1)).Select((p, l) => (l == 0 ? 2.0 : 3.0) * p.First * p.Second).Sum();
    }

    /// <summary>The default thread count for training 784-h1-...-hL-10 (<paramref name="hidden"/>) at <paramref name="batchSize"/> on <paramref name="processors"/> processors.</summary>
    public static int ForStep(int batchSize, IReadOnlyList<int> hidden, int processors) =>
        processors > 1 && FlopsPerStep(batchSize, hidden) >= ParallelFromFlopsPerStep ? processors : 1;

    /// <summary>
    /// Sets torch's intra-op threads to <paramref name="requested"/>, or when none was asked for to
    /// <see cref="ForStep"/> for the model being trained (<paramref name="hidden"/>'s widths; <see langword="null"/> for the
    /// lesson's 784-50-10); only on the CPU.
    /// </summary>
    /// <returns>The threads torch now uses.</returns>
    public static int Apply(int? requested, Device device, int batchSize = 50, IReadOnlyList<int>? hidden = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (requested is { } r) ArgumentOutOfRangeException.ThrowIfLessThan(r, 1, nameof(requested));
        if (device.type == DeviceType.CPU) set_num_threads(requested ?? ForStep(batchSize, hidden ?? [50], Environment.ProcessorCount));
        return get_num_threads();
    }
}
