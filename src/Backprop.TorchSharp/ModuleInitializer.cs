using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Backprop.Native;

namespace Backprop;

internal static class ModuleInitializer
{
    /// <summary>Prepares TorchSharp's native library before any type of this library runs, so every program that references it loads on older libstdc++.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The native library must be prepared before TorchSharp initialises, for every consumer of this library.")]
    internal static void Run() => TorchNative.Prepare();
}
