using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Cli.Bench;

/// <summary>
/// How many threads libtorch uses inside one op on the CPU. The lesson's model is tiny (a step is 8 MFLOP, a few dozen
/// small ops): waking a second thread for each op costs more than it saves, so training defaults to one thread. Measured
/// on the 2-core CI machine: 0.27 s per epoch of the final stage with one thread, 0.48 s with two (docs/PERFORMANCE.md).
/// </summary>
internal static class CpuThreads
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

/// <summary>The process's resident memory: managed and native (libtorch's allocations) together.</summary>
internal static class ResidentMemory
{
    /// <summary>Resident set size in MB (2^20 bytes), read fresh.</summary>
    public static double Megabytes()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64 / 1048576.0;
    }
}

/// <summary>The machine's float32 matrix-multiply rate, as libtorch reaches it: the compute bound for a training step.</summary>
internal static class SgemmRate
{
    /// <summary>GFLOP/s of an (n, n) · (n, n) float32 matmul on <paramref name="device"/>, best of <paramref name="repeats"/>.</summary>
    public static double Gflops(Device? device = null, int n = 1024, int repeats = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        using var scope = NewDisposeScope();
        var a = randn(n, n, device: device);
        var b = randn(n, n, device: device);
        a.mm(b).sum().item<float>(); // warm up, and wait for the device
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using var c = a.mm(b);
            c[0, 0].item<float>(); // a device sync on CUDA; nothing on the CPU
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}
