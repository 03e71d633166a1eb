using static TorchSharp.torch;

namespace Backprop.Scratch.Classes;

/// <summary>The rectified linear unit as a class (the lesson's "Refactor model"): <c>out = max(inp, 0)</c>, and its backward.</summary>
public sealed class Relu : ILayer
{
    private Variable? _inp, _out;

    /// <inheritdoc/>
    /// <param name="inp">Any shape.</param>
    public Variable Call(Variable inp)
    {
        (_inp, _out) = (inp, new Variable(inp.Data.clamp_min(0)));
        return _out;
    }

    /// <inheritdoc/>
    public void Backward()
    {
        if (_inp is null || _out is null) throw new InvalidOperationException("Relu.Backward before Relu.Call: run the forward pass first");
        Tensor inp = _inp.Data, outG = _out.G;
        _inp.G = (inp > 0).to_type(outG.dtype) * outG; // dL/dinp = dL/dout ⊙ 1[inp > 0]
    }
}
