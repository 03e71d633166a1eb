using System.Runtime.InteropServices;
using Backprop.Native;

namespace Backprop.Tests;

/// <summary>Whether the CPU kernels can be pinned to AVX2 here (<see cref="CpuKernels.Pin()"/>), and whether the notebooks and the runner do so by default.</summary>
internal static class PinnedKernels
{
    /// <summary>Why no pin to AVX2 is possible here; null where it is (Linux on an x86-64 CPU with AVX2 and FMA).</summary>
    public static string? Impossible { get; } =
        !OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64
            ? $"the CPU kernels are pinned on Linux x86-64 only, not on {RuntimeInformation.RuntimeIdentifier}; there the notebooks mark each output that differs from the course's"
            : !CpuKernels.IsSupported(CpuCapability.Avx2)
                ? "this CPU lacks AVX2 and FMA, so nothing pins its kernels; the notebooks mark each output that differs from the course's"
                : null;

    /// <summary>Why the notebooks and the runner do not run on the pinned AVX2 kernels here by default; null where they do.</summary>
    public static string? NotByDefault { get; } = Impossible ?? Configured();

    private static string? Configured()
    {
        try
        {
            return CpuKernels.Configured() == CpuCapability.Avx2 ? null
                : $"{CpuKernels.Variable}={Environment.GetEnvironmentVariable(CpuKernels.Variable)} in the environment: the notebooks and the runner do not pin the AVX2 kernels the course's numbers come with";
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}

/// <summary>A fact that pins the CPU kernels to each capability in turn: skipped, with the reason, where no pin is possible.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PinnableFactAttribute : FactAttribute
{
    public PinnableFactAttribute() => Skip = PinnedKernels.Impossible;
}

/// <summary>A theory that needs the default pin to AVX2 in the processes it starts: skipped, with the reason, where they run without it.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PinnedTheoryAttribute : TheoryAttribute
{
    public PinnedTheoryAttribute() => Skip = PinnedKernels.NotByDefault;
}
