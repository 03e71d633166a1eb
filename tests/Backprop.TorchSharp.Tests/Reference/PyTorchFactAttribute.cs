namespace Backprop.Tests.Reference;

/// <summary>A fact that needs a Python with PyTorch (<see cref="PyTorch"/>): skipped, saying how to get one, when there is none.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PyTorchFactAttribute : FactAttribute
{
    public PyTorchFactAttribute()
    {
        if (PyTorch.Python is null)
            Skip = "needs a Python that imports torch and numpy (Debian: apt-get install python3-torch; or set BACKPROP_PYTHON)";
    }
}

/// <summary>A fact that needs a Python with PyTorch and ONNX's checker (<c>import onnx</c>): skipped, saying how to get them, when either is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute()
    {
        if (PyTorch.Python is null)
            Skip = "needs a Python that imports torch and numpy (Debian: apt-get install python3-torch; or set BACKPROP_PYTHON)";
        else if (!PyTorch.Imports("onnx"))
            Skip = $"needs onnx in {PyTorch.Python} (Debian: apt-get install python3-onnx)";
    }
}
