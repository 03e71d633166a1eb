using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Scratch.Autograd;

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
