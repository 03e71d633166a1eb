using static TorchSharp.torch;

namespace Backprop.Scratch.Modules;

/// <summary>A linear layer on the <see cref="Module"/> base: <c>out = inp @ w + b</c>, input (N, in), output (N, out).</summary>
/// <param name="w">Weights, (in, out): the transpose of <c>nn.Linear</c>'s (out, in); backward sets <c>w.G</c>.</param>
/// <param name="b">Bias, (out); backward sets <c>b.G</c>.</param>
public sealed class Lin(Variable w, Variable b) : Module(arity: 1)
{
    /// <summary>The weights, (in, out).</summary>
    public Variable W => w;

    /// <summary>The bias, (out).</summary>
    public Variable B => b;

    /// <inheritdoc/>
    protected override Tensor Forward(ReadOnlySpan<Tensor> args)
    {
        Shapes.CheckLin(args[0], w.Data, b.Data);
        return args[0].matmul(w.Data) + b.Data;
    }

    /// <inheritdoc/>
    protected override void Bwd(Variable output, ReadOnlySpan<Variable> args)
    {
        var inp = args[0];
        inp.G = output.G.matmul(w.Data.t());  // dL/dinp = dL/dout · wᵀ
        w.G = inp.Data.t().matmul(output.G);  // dL/dw = inpᵀ · dL/dout
        b.G = output.G.sum(dim: 0);           // dL/db = Σₙ dL/dout
    }
}
