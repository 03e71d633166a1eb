using static TorchSharp.torch;

namespace Backprop.Scratch.Classes;

// Lesson 03, "Refactor model: layers as classes": each layer keeps what its forward saw (self.inp, self.out), so that
// its backward can read out.G and write inp.G (and its parameters' G) with the G extension, as the lesson does with .g.
// A layer's output tensor is the next layer's input tensor, so the G one layer writes is the G the layer before reads.

/// <summary>What the lesson's layer classes have in common, so that a <see cref="Model"/> holds them in one list.</summary>
public interface ILayer
{
    /// <summary>Runs the layer forward, keeping <paramref name="inp"/> and the output for <see cref="Backward"/>: the lesson's <c>__call__</c>.</summary>
    Tensor Call(Tensor inp);

    /// <summary>Sets <c>inp.G</c> (and the parameters' <c>G</c>) from <c>out.G</c>: the lesson's <c>backward</c>.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>, or before <c>out.G</c> was set.</exception>
    void Backward();
}

/// <summary>The rectified linear unit as a class: <c>out = max(inp, 0)</c>, any shape, and its backward.</summary>
public sealed class Relu : ILayer
{
    private (Tensor Inp, Tensor Out)? _saved;

    /// <summary>The input of the last <see cref="Call"/>: the lesson's <c>self.inp</c>.</summary>
    public Tensor Inp => Saved.Inp;

    /// <summary>The output of the last <see cref="Call"/>: the lesson's <c>self.out</c>.</summary>
    public Tensor Out => Saved.Out;

    /// <inheritdoc/>
    public Tensor Call(Tensor inp)
    {
        _saved = (inp, inp.clamp_min(0.0));
        return Out;
    }

    /// <inheritdoc/>
    public void Backward() => Inp.G = (Inp > 0).to_type(Out.G.dtype) * Out.G; // dL/dinp = dL/dout ⊙ 1[inp > 0]

    private (Tensor Inp, Tensor Out) Saved => _saved ?? throw Errors.BackwardBeforeCall(nameof(Relu));
}

/// <summary>A linear layer as a class: <c>out = inp @ w + b</c>, (N, in) to (N, out), and its backward.</summary>
/// <param name="w">Weights, (in, out): the transpose of <c>nn.Linear</c>'s (out, in); backward sets <c>w.G</c>.</param>
/// <param name="b">Bias, (out); backward sets <c>b.G</c>.</param>
public sealed class Lin(Tensor w, Tensor b) : ILayer
{
    private (Tensor Inp, Tensor Out)? _saved;

    /// <summary>The weights, (in, out): the lesson's <c>self.w</c>.</summary>
    public Tensor W => w;

    /// <summary>The bias, (out): the lesson's <c>self.b</c>.</summary>
    public Tensor B => b;

    /// <summary>The input of the last <see cref="Call"/>, (N, in).</summary>
    public Tensor Inp => Saved.Inp;

    /// <summary>The output of the last <see cref="Call"/>, (N, out).</summary>
    public Tensor Out => Saved.Out;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input does not fit the weights; the message names both shapes.</exception>
    public Tensor Call(Tensor inp)
    {
        _saved = (inp, Functions.Lin(inp, w, b));
        return Out;
    }

    /// <inheritdoc/>
    public void Backward()
    {
        Inp.G = Out.G.matmul(w.t()); // dL/dinp = dL/dout · wᵀ
        w.G = Inp.t().matmul(Out.G); // dL/dw = inpᵀ · dL/dout
        b.G = Out.G.sum(dim: 0);     // dL/db = Σₙ dL/dout
    }

    private (Tensor Inp, Tensor Out) Saved => _saved ?? throw Errors.BackwardBeforeCall(nameof(Lin));
}

/// <summary>Mean squared error as a class, and its backward into the predictions.</summary>
/// <remarks>(N, 1) predictions and (N) targets are compared as (N) columns, never broadcast to (N, N) (see <see cref="Functions.Mse"/>).</remarks>
public sealed class Mse
{
    private (Tensor Inp, Tensor Targ, Tensor Out)? _saved;

    /// <summary>The predictions of the last <see cref="Call"/>, (N, 1) or (N).</summary>
    public Tensor Inp => Saved.Inp;

    /// <summary>The targets of the last <see cref="Call"/>, (N).</summary>
    public Tensor Targ => Saved.Targ;

    /// <summary>The loss of the last <see cref="Call"/>, a scalar.</summary>
    public Tensor Out => Saved.Out;

    /// <summary>The loss, <c>mean((inp[:, 0] - targ)²)</c>, keeping its inputs and output.</summary>
    /// <param name="inp">Predictions, (N, 1) or (N).</param>
    /// <param name="targ">Targets, (N).</param>
    /// <returns>A scalar.</returns>
    /// <exception cref="ArgumentException">The shapes do not pair up; the message names them.</exception>
    public Tensor Call(Tensor inp, Tensor targ)
    {
        _saved = (inp, targ, Functions.Mse(inp, targ));
        return Out;
    }

    /// <summary>Sets <c>inp.G</c>, the predictions' shape; the loss is the last step (dL/dL = 1), so nothing is read.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>.</exception>
    public void Backward()
    {
        var diff = Shapes.Column(Inp) - Shapes.Column(Targ);
        Inp.G = (2.0 * diff / Targ.shape[0]).view_as(Inp); // dL/dinp = 2 (inp - targ) / N
    }

    private (Tensor Inp, Tensor Targ, Tensor Out) Saved => _saved ?? throw Errors.BackwardBeforeCall(nameof(Mse));
}

/// <summary>
/// The lesson's <c>Model</c> of layer classes: <c>Lin(w1, b1)</c>, <c>Relu</c>, <c>Lin(w2, b2)</c>, and <c>Mse</c> as its loss;
/// after <see cref="Backward"/>, <c>x.G</c>, <c>w1.G</c>, <c>b1.G</c>, <c>w2.G</c> and <c>b2.G</c> are set.
/// </summary>
/// <param name="w1">(784, nh).</param>
/// <param name="b1">(nh).</param>
/// <param name="w2">(nh, 1).</param>
/// <param name="b2">(1).</param>
public sealed class Model(Tensor w1, Tensor b1, Tensor w2, Tensor b2)
{
    /// <summary>The layers, in forward order: the lesson's <c>self.layers</c>.</summary>
    public IReadOnlyList<ILayer> Layers { get; } = [new Lin(w1, b1), new Relu(), new Lin(w2, b2)];

    /// <summary>The loss: the lesson's <c>self.loss</c>.</summary>
    public Mse Loss { get; } = new();

    /// <summary>The layers, then the loss: the lesson's <c>model(x, targ)</c>.</summary>
    /// <param name="x">Input, (N, 784).</param>
    /// <param name="targ">Targets, (N).</param>
    /// <returns>The loss, a scalar.</returns>
    public Tensor Call(Tensor x, Tensor targ) => Loss.Call(Layers.Aggregate(x, (inp, l) => l.Call(inp)), targ);

    /// <summary>The loss's backward, then each layer's in reverse.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>.</exception>
    public void Backward()
    {
        Loss.Backward();
        foreach (var l in Layers.Reverse()) l.Backward();
    }
}
