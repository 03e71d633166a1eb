namespace Backprop.Training;

/// <summary>Who computes the gradients during training.</summary>
public enum GradientKind
{
    /// <summary>TorchSharp's autograd (<c>loss.backward()</c>).</summary>
    Autograd,

    /// <summary>Lesson 03's hand-written backward pass.</summary>
    Manual,
}
