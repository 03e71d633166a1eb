using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Scratch.Autograd;

// Lesson 03, "Autograd": the same model with no backward to write; loss.backward() fills every parameter's grad.

/// <summary>
/// The lesson's hand-made <c>Linear</c> on TorchSharp's <c>nn.Module</c> ("Autograd"): no backward to write,
/// autograd differentiates <c>inp @ w + b</c>.
/// </summary>
/// <remarks>
/// Initialised like the lesson, not like <c>nn.Linear</c>: <c>w = randn(n_in, n_out)</c>, <c>b = zeros(n_out)</c>, drawn from
/// torch's global generator, so after <c>torch.manual_seed(42)</c> the layers get the lesson's numbers.
/// Both are registered parameters (<c>w</c>, <c>b</c>): <c>parameters()</c> and the module's <c>Dispose</c> see them.
/// </remarks>
public sealed class Linear : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with n_in inputs and n_out outputs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public Linear(long nIn, long nOut) : base(nameof(Linear))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nOut);
        W = new Parameter(randn(nIn, nOut));
        B = new Parameter(zeros(nOut));
        register_parameter("w", W);
        register_parameter("b", B);
    }

    /// <summary>Weights, (n_in, n_out): the lesson's <c>w</c> (the transpose of <c>nn.Linear.weight</c>).</summary>
    public Parameter W { get; }

    /// <summary>Bias, (n_out): the lesson's <c>b</c>.</summary>
    public Parameter B { get; }

    /// <summary><c>inp @ w + b</c>: (N, n_in) to (N, n_out).</summary>
    /// <exception cref="ArgumentException">The input does not fit the weights; the message names both shapes.</exception>
    public override Tensor forward(Tensor input) => Functions.Lin(input, W, B);
}

/// <summary>
/// The lesson's autograd <c>Model</c>: hand-made <see cref="Linear"/> layers, TorchSharp's <c>nn.ReLU</c> and
/// <c>F.mse_loss</c>; <c>model.call(x, targ)</c> returns the loss and <c>loss.backward()</c> fills every <c>grad</c>.
/// </summary>
/// <remarks>
/// The lesson keeps its layers in a plain Python list, which <c>nn.Module</c> does not see (lesson 04's point);
/// here they are registered as <c>layers</c>, so <c>parameters()</c> lists w and b of both linear layers.
/// </remarks>
public sealed class Model : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<nn.Module<Tensor, Tensor>> _layers;

    /// <summary>Creates n_in-nh-n_out layers; their weights are drawn in the lesson's order (w1, then w2).</summary>
    public Model(long nIn, long nh, long nOut) : base(nameof(Model))
    {
        _layers = nn.ModuleList<nn.Module<Tensor, Tensor>>(new Linear(nIn, nh), nn.ReLU(), new Linear(nh, nOut));
        register_module("layers", _layers);
        Layers = [.. _layers];
    }

    /// <summary>The layers: <see cref="Linear"/>, ReLU, <see cref="Linear"/>.</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Layers { get; }

    /// <summary>The MSE loss of the model on <paramref name="input"/> against <paramref name="targ"/>.</summary>
    /// <param name="input">(N, n_in).</param>
    /// <param name="targ">(N); compared as <c>targ[:, None]</c>, (N, 1), the lesson's fix for the broadcasting pitfall.</param>
    /// <returns>A scalar.</returns>
    public override Tensor forward(Tensor input, Tensor targ)
    {
        var res = _layers.Aggregate(input, (x, layer) => layer.call(x));
        Shapes.CheckMse(res, targ);
        return nn.functional.mse_loss(res, Shapes.Column(targ).to_type(res.dtype).unsqueeze(1));
    }
}
