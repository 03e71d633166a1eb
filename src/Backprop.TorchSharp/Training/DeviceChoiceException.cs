namespace Backprop.Training;

/// <summary>A device choice that cannot be served: an unknown name, or CUDA where it is not available. The message says what to do.</summary>
/// <param name="choice">What the user asked for.</param>
/// <param name="message">The problem and what to do about it.</param>
public sealed class DeviceChoiceException(string choice, string message) : Exception(message)
{
    /// <summary>What the user asked for.</summary>
    public string Choice { get; } = choice;
}
