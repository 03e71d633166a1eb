using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>The gradients of a linear layer, as <see cref="Functions.LinGrad"/> returns them (the lesson's <c>lin_grad</c> sets them as <c>.g</c>).</summary>
/// <param name="Inp">dL/dinp, (N, in): the lesson's <c>inp.g</c>.</param>
/// <param name="W">dL/dw, (in, out): the lesson's <c>w.g</c>.</param>
/// <param name="B">dL/db, (out): the lesson's <c>b.g</c>.</param>
public sealed record LinGrads(Tensor Inp, Tensor W, Tensor B);
