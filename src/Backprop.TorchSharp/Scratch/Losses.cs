using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// Lesson 04's cross-entropy loss from scratch (notebook 04_minibatch_training, "Cross entropy loss"), each with its
/// backward by hand: <c>LogSoftmax</c> (naive, then through <see cref="LogSumExp"/>), <see cref="Nll"/>, and
/// <see cref="CrossEntropy"/> = <c>Nll(LogSoftmax(x), targ)</c>.
/// </summary>
/// <remarks>
/// The forwards are ordinary tensor code, so autograd runs through them too; the <c>...Grad</c> functions are the
/// manual backward passes, each given the forward's input and dL/dout. Scores are over the last dimension.
/// Every tensor returned belongs to the caller's dispose scope.
/// </remarks>
public static class Losses
{
    /// <summary>The lesson's first log-softmax, <c>(x.exp() / x.exp().sum(-1, keepdim)).log()</c>: overflows once scores pass ~88 in float32.</summary>
    /// <param name="x">Scores, (N, C).</param>
    /// <returns>Log-probabilities, (N, C).</returns>
    public static Tensor LogSoftmaxNaive(Tensor x) => (x.exp() / x.exp().sum(-1, keepdim: true)).log();

    /// <summary>dL/dx of <see cref="LogSoftmaxNaive"/>, step by step through its graph (so it fails where the forward does).</summary>
    /// <param name="x">The scores the forward saw, (N, C).</param>
    /// <param name="outG">dL/dout, (N, C).</param>
    public static Tensor LogSoftmaxNaiveGrad(Tensor x, Tensor outG)
    {
        var e = x.exp();
        var s = e.sum(-1, keepdim: true);
        var p = e / s;
        var pG = outG / p;                                        // d log(p)/dp = 1/p
        var eG = (pG - (pG * p).sum(-1, keepdim: true)) / s;      // d(e/s)/de: 1/s on the diagonal, -e/s² through s
        return eG * e;                                            // d exp(x)/dx = exp(x)
    }

    /// <summary>log Σ exp(x) over the last dimension with the max trick: <c>m + log Σ exp(x - m)</c>, m the row maximum.</summary>
    /// <param name="x">Scores, (N, C).</param>
    /// <returns>(N).</returns>
    public static Tensor LogSumExp(Tensor x)
    {
        // A row of -inf (or +inf) would give inf - inf = NaN: shift such rows by 0 instead, as torch.logsumexp does.
        var m = x.amax([-1], keepdim: true);
        m = m.masked_fill(m.isinf(), 0);
        return (m + (x - m).exp().sum(-1, keepdim: true).log()).squeeze(-1);
    }

    /// <summary>The stable log-softmax, <c>x - LogSumExp(x)</c>.</summary>
    /// <param name="x">Scores, (N, C).</param>
    /// <returns>Log-probabilities, (N, C).</returns>
    public static Tensor LogSoftmax(Tensor x) => x - LogSumExp(x).unsqueeze(-1);

    /// <summary>dL/dx of <see cref="LogSoftmax"/>: <c>dL/dout - softmax(x) Σ_c dL/dout</c>.</summary>
    /// <param name="x">The scores the forward saw, (N, C).</param>
    /// <param name="outG">dL/dout, (N, C).</param>
    public static Tensor LogSoftmaxGrad(Tensor x, Tensor outG) =>
        outG - LogSoftmax(x).exp() * outG.sum(-1, keepdim: true); // d(x - lse(x))/dx = I - softmax(x), as d lse(x)/dx = softmax(x)

    /// <summary>Negative log likelihood, <c>-inp[range(N), targ].mean()</c>.</summary>
    /// <param name="inp">Log-probabilities, (N, C).</param>
    /// <param name="targ">Class indices, (N) int64.</param>
    /// <returns>A scalar.</returns>
    /// <exception cref="ArgumentException">The shapes or the target's type do not fit; the message names them.</exception>
    public static Tensor Nll(Tensor inp, Tensor targ)
    {
        Shapes.CheckClasses(inp, targ, nameof(Nll));
        return -inp[arange(inp.shape[0], device: inp.device), targ].mean();
    }

    /// <summary>dNll/dinp, (N, C): <c>-1/N</c> at each row's target, 0 elsewhere.</summary>
    /// <param name="inp">The log-probabilities the forward saw, (N, C).</param>
    /// <param name="targ">Class indices, (N) int64.</param>
    public static Tensor NllGrad(Tensor inp, Tensor targ)
    {
        Shapes.CheckClasses(inp, targ, nameof(Nll));
        // d(-mean_n inp[n, targ[n]])/dinp = -onehot(targ) / N
        return zeros_like(inp).scatter_(1, targ.unsqueeze(1), full([inp.shape[0], 1], -1.0 / inp.shape[0], inp.dtype, inp.device));
    }

    /// <summary>Cross-entropy, <c>Nll(LogSoftmax(x), targ)</c>: what <c>F.cross_entropy</c> computes.</summary>
    /// <param name="x">Scores (logits), (N, C).</param>
    /// <param name="targ">Class indices, (N) int64.</param>
    /// <returns>A scalar.</returns>
    public static Tensor CrossEntropy(Tensor x, Tensor targ) => Nll(LogSoftmax(x), targ);

    /// <summary>dCrossEntropy/dx, (N, C): softmax minus one-hot, over N.</summary>
    /// <param name="x">The scores the forward saw, (N, C).</param>
    /// <param name="targ">Class indices, (N) int64.</param>
    public static Tensor CrossEntropyGrad(Tensor x, Tensor targ)
    {
        Shapes.CheckClasses(x, targ, nameof(CrossEntropy));
        var minusOne = full([x.shape[0], 1], -1.0, x.dtype, x.device);
        // LogSoftmaxGrad(x, NllGrad) = -onehot/N + softmax(x) · 1/N, since each row of NllGrad sums to -1/N
        return LogSoftmax(x).exp().scatter_add_(1, targ.unsqueeze(1), minusOne).div_(x.shape[0]);
    }
}
