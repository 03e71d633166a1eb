using TorchSharp;

namespace Backprop.Tests;

/// <summary>A fact that runs only where CUDA is available; elsewhere xunit reports it skipped, with the reason.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!torch.cuda.is_available())
            Skip = "CUDA is not available: build with -p:TorchBackend=cuda and run on a machine with an NVIDIA GPU";
    }
}
