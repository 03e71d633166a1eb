using static TorchSharp.torch;

namespace Backprop.Scratch.Modules;

/// <summary>The rectified linear unit on the <see cref="Module"/> base: <c>out = max(inp, 0)</c>, any shape.</summary>
public sealed class Relu() : Module(arity: 1)
{
    /// <inheritdoc/>
    protected override Tensor Forward(ReadOnlySpan<Tensor> args) => args[0].clamp_min(0);

    /// <inheritdoc/>
    protected override void Bwd(Variable output, ReadOnlySpan<Variable> args) =>
        args[0].G = (args[0].Data > 0).to_type(output.G.dtype) * output.G; // dL/dinp = dL/dout ⊙ 1[inp > 0]
}
