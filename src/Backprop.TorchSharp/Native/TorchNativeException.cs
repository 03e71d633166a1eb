namespace Backprop.Native;

/// <summary>TorchSharp's native library could not be loaded; the message is TorchSharp's own plus one line on what this library tried.</summary>
public sealed class TorchNativeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchNativeException(string message, Exception inner) : base(message, inner) { }
}
