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
