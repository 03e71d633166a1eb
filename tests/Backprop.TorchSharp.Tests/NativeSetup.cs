using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Backprop.Native;

namespace Backprop.Tests;

internal static class NativeSetup
{
    /// <summary>
    /// Prepares TorchSharp's native library before any test (or test attribute, such as <see cref="CudaFactAttribute"/>
    /// at discovery) touches <c>torch</c>: a test that uses TorchSharp before any library type would otherwise run
    /// torch's static constructor unprepared, and that failure sticks for the whole process.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The native library must be prepared before any test touches TorchSharp.")]
    internal static void Run() => TorchNative.Prepare();
}
