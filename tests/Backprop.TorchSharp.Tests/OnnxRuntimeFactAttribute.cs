namespace Backprop.Tests;

/// <summary>
/// A fact that runs a model in ONNX Runtime, which only a <c>-p:OnnxRuntime=true</c> build references (its package is
/// 401 MB restored): skipped, saying how to enable it, in the default build.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class OnnxRuntimeFactAttribute : FactAttribute
{
    public OnnxRuntimeFactAttribute()
    {
#if !ONNX_RUNTIME
        Skip = "needs ONNX Runtime, left out of the default build (401 MB restored): run dotnet test -p:OnnxRuntime=true, as .ci/run does";
#endif
    }
}
