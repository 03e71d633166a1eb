using System.Diagnostics;
using static TorchSharp.torch;

namespace Backprop.Cli.Bench;

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
