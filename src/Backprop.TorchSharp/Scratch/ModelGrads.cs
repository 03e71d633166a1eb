using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// The loss of the lesson's two-layer model and every gradient of it, as <see cref="Functions.ForwardAndBackward"/> returns them
/// (the lesson's <c>forward_and_backward</c> sets them as <c>x.g</c>, <c>w1.g</c>, ...).
/// </summary>
/// <param name="Loss">The loss, a scalar.</param>
/// <param name="X">dL/dx, (N, in).</param>
/// <param name="W1">dL/dw1, (in, nh).</param>
/// <param name="B1">dL/db1, (nh).</param>
/// <param name="W2">dL/dw2, (nh, out).</param>
/// <param name="B2">dL/db2, (out).</param>
public sealed record ModelGrads(Tensor Loss, Tensor X, Tensor W1, Tensor B1, Tensor W2, Tensor B2)
{
    /// <summary>The five gradients in the lesson's order x, w1, b1, w2, b2, with their names.</summary>
    public IReadOnlyList<(string Name, Tensor Grad)> Named => [("x", X), ("w1", W1), ("b1", B1), ("w2", W2), ("b2", B2)];
}
