using static TorchSharp.torch;

namespace Backprop.Scratch.Modules;

// Lesson 03, "Module.forward()": the bookkeeping of the layer classes (keep the inputs and the output, hand them to the
// backward) moves into one base class, so that each layer writes only its forward and the backward math (bwd).

/// <summary>
/// The lesson's <c>Module</c> base: <see cref="Call"/> keeps the inputs and the output, and <see cref="Backward"/> hands
/// them to <see cref="Bwd"/>, which reads <c>out.G</c> and writes each input's <c>G</c>.
/// </summary>
/// <remarks>
/// The lesson's <c>__call__(*args)</c>, <c>forward(*args)</c>, <c>backward()</c> and <c>bwd(out, *args)</c>.
/// <see cref="Call"/> is named after TorchSharp's <c>Module.call</c>, which also wraps <c>forward</c>.
/// </remarks>
/// <param name="arity">How many inputs <see cref="Call"/> takes: 1 for a layer, 2 for a loss with its target.</param>
public abstract class Module(int arity)
{
    private (Tensor[] Args, Tensor Out)? _saved;

    /// <summary>The inputs of the last <see cref="Call"/>: the lesson's <c>self.args</c>.</summary>
    /// <exception cref="InvalidOperationException">Read before <see cref="Call"/>.</exception>
    public IReadOnlyList<Tensor> Args => Saved.Args;

    /// <summary>The output of the last <see cref="Call"/>: the lesson's <c>self.out</c>.</summary>
    /// <exception cref="InvalidOperationException">Read before <see cref="Call"/>.</exception>
    public Tensor Out => Saved.Out;

    /// <summary>Runs <see cref="Forward"/>, keeping the inputs and the output for <see cref="Backward"/>.</summary>
    /// <returns>The output.</returns>
    /// <exception cref="ArgumentException">The wrong number of inputs, or inputs whose shapes do not fit.</exception>
    public Tensor Call(params Tensor[] args)
    {
        if (args.Length != arity)
            throw new ArgumentException($"{GetType().Name} takes {arity} input(s), got {args.Length}", nameof(args));
        _saved = ([.. args], Forward(args));
        return Out;
    }

    /// <summary>Sets the inputs' <c>G</c> (and the parameters') from <c>out.G</c>: <c>bwd(out, *args)</c>.</summary>
    /// <exception cref="InvalidOperationException">Called before <see cref="Call"/>, or before <c>out.G</c> was set.</exception>
    public void Backward() => Bwd(Out, Saved.Args);

    /// <summary>The forward computation: the lesson's <c>forward</c>.</summary>
    protected abstract Tensor Forward(ReadOnlySpan<Tensor> args);

    /// <summary>The backward math: read <c>output.G</c>, write each input's <c>G</c>: the lesson's <c>bwd</c>.</summary>
    protected abstract void Bwd(Tensor output, ReadOnlySpan<Tensor> args);

    private (Tensor[] Args, Tensor Out) Saved => _saved ?? throw Errors.BackwardBeforeCall(GetType().Name);
}

/// <summary>The rectified linear unit on <see cref="Module"/>: <c>out = max(inp, 0)</c>, any shape.</summary>
public sealed class Relu() : Module(arity: 1)
{
    /// <inheritdoc/>
    protected override Tensor Forward(ReadOnlySpan<Tensor> args) => args[0].clamp_min(0.0);

    /// <inheritdoc/>
    protected override void Bwd(Tensor output, ReadOnlySpan<Tensor> args) =>
        args[0].G = (args[0] > 0).to_type(output.G.dtype) * output.G; // dL/dinp = dL/dout ⊙ 1[inp > 0]
}

/// <summary>A linear layer on <see cref="Module"/>: <c>out = inp @ w + b</c>, (N, in) to (N, out).</summary>
/// <param name="w">Weights, (in, out): the transpose of <c>nn.Linear</c>'s (out, in); backward sets <c>w.G</c>.</param>
/// <param name="b">Bias, (out); backward sets <c>b.G</c>.</param>
public sealed class Lin(Tensor w, Tensor b) : Module(arity: 1)
{
    /// <summary>The weights, (in, out).</summary>
    public Tensor W => w;

    /// <summary>The bias, (out).</summary>
    public Tensor B => b;

    /// <inheritdoc/>
    protected override Tensor Forward(ReadOnlySpan<Tensor> args) => Functions.Lin(args[0], w, b);

    /// <inheritdoc/>
    protected override void Bwd(Tensor output, ReadOnlySpan<Tensor> args)
    {
        var inp = args[0];
        inp.G = output.G.matmul(w.t()); // dL/dinp = dL/dout · wᵀ
        w.G = inp.t().matmul(output.G); // dL/dw = inpᵀ · dL/dout
        b.G = output.G.sum(dim: 0);     // dL/db = Σₙ dL/dout
    }
}

/// <summary>Mean squared error on <see cref="Module"/>: <c>Call(inp, targ)</c>, predictions (N, 1) or (N), targets (N).</summary>
/// <remarks>(N, 1) predictions and (N) targets are compared as (N) columns, never broadcast to (N, N) (see <see cref="Functions.Mse"/>).</remarks>
public sealed class Mse() : Module(arity: 2)
{
    /// <inheritdoc/>
    protected override Tensor Forward(ReadOnlySpan<Tensor> args) => Functions.Mse(args[0], args[1]);

    /// <inheritdoc/>
    /// <remarks>The loss is the last step (dL/dL = 1), so <c>output.G</c> is not read, as in the lesson.</remarks>
    protected override void Bwd(Tensor output, ReadOnlySpan<Tensor> args)
    {
        var (inp, targ) = (args[0], args[1]);
        inp.G = (2.0 * (Shapes.Column(inp) - Shapes.Column(targ)) / targ.shape[0]).view_as(inp); // dL/dinp = 2 (inp - targ) / N
    }
}

/// <summary>
/// The lesson's <c>Model</c> on <see cref="Module"/> layers: <c>Lin(w1, b1)</c>, <c>Relu</c>, <c>Lin(w2, b2)</c>, and <c>Mse</c>
/// as its loss; after <see cref="Backward"/>, <c>x.G</c>, <c>w1.G</c>, <c>b1.G</c>, <c>w2.G</c> and <c>b2.G</c> are set.
/// </summary>
/// <param name="w1">(784, nh).</param>
/// <param name="b1">(nh).</param>
/// <param name="w2">(nh, 1).</param>
/// <param name="b2">(1).</param>
public sealed class Model(Tensor w1, Tensor b1, Tensor w2, Tensor b2)
{
    /// <summary>The layers, in forward order.</summary>
    public IReadOnlyList<Module> Layers { get; } = [new Lin(w1, b1), new Relu(), new Lin(w2, b2)];

    /// <summary>The loss.</summary>
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
