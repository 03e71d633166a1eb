using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Performance;

/// <summary>
/// How many threads libtorch uses inside one op on the CPU. The lesson's model is tiny (a step is 8 MFLOP, a few dozen
/// small ops): waking a second thread for each op costs more than it saves, so training defaults to one thread. Measured
/// on the 2-core CI machine: 0.27 s per epoch of the final stage with one thread, 0.48 s with two (docs/PERFORMANCE.md).
/// </summary>
public static class CpuThreads
{
    /// <summary>The default for training the lesson's model on the CPU.</summary>
    public const int ForSmallModels = 1;

    /// <summary>Sets torch's intra-op threads to <paramref name="requested"/>, or to <see cref="ForSmallModels"/> when none was asked for; only on the CPU.</summary>
    /// <returns>The threads torch now uses.</returns>
    public static int Apply(int? requested, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (requested is { } r) ArgumentOutOfRangeException.ThrowIfLessThan(r, 1, nameof(requested));
        if (device.type == DeviceType.CPU) set_num_threads(requested ?? ForSmallModels);
        return get_num_threads();
    }
}
