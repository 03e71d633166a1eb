using TorchSharp;
using static TorchSharp.torch;

namespace Backprop;

/// <summary>Turns the user's choice of device (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>) into a TorchSharp <see cref="Device"/>.</summary>
public static class DeviceChoice
{
    /// <summary>The choices <see cref="Resolve"/> accepts, besides <c>cuda:N</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cpu", "cuda", "auto"];

    /// <summary>The message for a CUDA request that this build or machine cannot serve.</summary>
    public const string CudaHelp =
        "build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU and its driver, or choose cpu (or auto)";

    /// <summary>
    /// <c>cpu</c> is the CPU; <c>cuda</c> (or <c>cuda:N</c>) is the GPU and needs CUDA; <c>auto</c> is CUDA when it is available, else the CPU.
    /// Case and surrounding spaces are ignored.
    /// </summary>
    /// <exception cref="DeviceChoiceException">The name is unknown, or CUDA was asked for and is not available.</exception>
    public static Device Resolve(string choice)
    {
        var name = (choice ?? "").Trim().ToLowerInvariant();
        switch (name)
        {
            case "cpu":
                return CPU;
            case "auto":
                return cuda.is_available() ? CUDA : CPU;
            case "cuda":
                return CudaOrThrow(name, -1);
            default:
                if (name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), out var index) && index >= 0)
                    return CudaOrThrow(name, index);
                throw new DeviceChoiceException(choice ?? "", $"unknown device '{choice}': use one of {string.Join(", ", Names)} or cuda:N");
        }
    }

    /// <summary>Whether two devices are the same one (<c>cuda</c> with no index matches <c>cuda:0</c>; the CPU has one device).</summary>
    public static bool Same(Device a, Device b) =>
        a.type == b.type && (a.type == DeviceType.CPU || a.index == b.index || Index(a) == Index(b));

    private static int Index(Device d) => d.index < 0 ? 0 : d.index;

    private static Device CudaOrThrow(string name, int index)
    {
        if (!cuda.is_available())
            throw new DeviceChoiceException(name, $"device '{name}' needs CUDA, which is not available here: {CudaHelp}");
        if (index >= cuda.device_count())
            throw new DeviceChoiceException(name, $"device '{name}' does not exist: this machine has {cuda.device_count()} CUDA device(s), cuda:0 to cuda:{cuda.device_count() - 1}");
        return index < 0 ? CUDA : device(DeviceType.CUDA, index);
    }
}

/// <summary>A device choice that cannot be served: an unknown name, or CUDA where it is not available. The message says what to do.</summary>
/// <param name="choice">What the user asked for.</param>
/// <param name="message">The problem and what to do about it.</param>
public sealed class DeviceChoiceException(string choice, string message) : Exception(message)
{
    /// <summary>What the user asked for.</summary>
    public string Choice { get; } = choice;
}
