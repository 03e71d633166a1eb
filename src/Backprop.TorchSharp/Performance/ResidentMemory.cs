using System.Diagnostics;

namespace Backprop.Performance;

/// <summary>The process's resident memory: managed and native (libtorch's allocations) together.</summary>
public static class ResidentMemory
{
    /// <summary>Resident set size in MB (2^20 bytes), read fresh.</summary>
    public static double Megabytes()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64 / 1048576.0;
    }
}
