using static TorchSharp.torch;

namespace Backprop.Scratch.Classes;

/// <summary>A linear layer as a class (the lesson's "Refactor model"): <c>out = inp @ w + b</c>, and its backward.</summary>
/// <param name="w">Weights, (in, out): the transpose of <c>nn.Linear</c>'s (out, in); backward sets <c>w.G</c>.</param>
/// <param name="b">Bias, (out); backward sets <c>b.G</c>.</param>
public sealed class Lin(Variable w, Variable b) : ILayer
{
    private Variable? _inp, _out;

    /// <summary>The weights, (in, out).</summary>
    public Variable W => w;

    /// <summary>The bias, (out).</summary>
    public Variable B => b;

    /// <inheritdoc/>
    /// <param name="inp">(N, in).</param>
    /// <returns>(N, out).</returns>
    /// <exception cref="ArgumentException">The input does not fit the weights; the message names both shapes.</exception>
    public Variable Call(Variable inp)
    {
        Shapes.CheckLin(inp.Data, w.Data, b.Data);
        (_inp, _out) = (inp, new Variable(inp.Data.matmul(w.Data) + b.Data));
        return _out;
    }

    /// <inheritdoc/>
    public void Backward()
    {
        if (_inp is null || _out is null) throw new InvalidOperationException("Lin.Backward before Lin.Call: run the forward pass first");
        Tensor inp = _inp.Data, outG = _out.G;
        _inp.G = outG.matmul(w.Data.t()); // dL/dinp = dL/dout · wᵀ
        w.G = inp.t().matmul(outG);       // dL/dw = inpᵀ · dL/dout
        b.G = outG.sum(dim: 0);           // dL/db = Σₙ dL/dout
    }
}
