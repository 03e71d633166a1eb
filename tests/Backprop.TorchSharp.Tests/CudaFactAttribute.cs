using Backprop.Native;
using TorchSharp;

namespace Backprop.Tests;

/// <summary>A fact that needs CUDA: skipped, with the reason, where <c>torch.cuda.is_available()</c> is false.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        TorchNative.EnsureLoaded(); // discovery may construct this before anything else has loaded TorchSharp
        if (!torch.cuda.is_available()) Skip = "CUDA is not available (build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU)";
    }
}

/// <summary>A fact about a machine without CUDA (the refusal of <c>--device cuda</c>): skipped, with the reason, where CUDA is available.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        TorchNative.EnsureLoaded();
        if (torch.cuda.is_available()) Skip = "CUDA is available here, so there is no refusal to see; the CUDA tests run instead";
    }
}
