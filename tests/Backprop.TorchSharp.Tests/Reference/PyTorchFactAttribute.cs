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
