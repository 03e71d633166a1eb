using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// Lesson 03's first form: plain functions for the 784-50-1 model and its MSE loss, and the backward pass by hand
/// (notebook 03_backprop, "Foundations version" and "Gradients and backward pass").
/// </summary>
/// <remarks>
/// <c>using static Backprop.Scratch.Functions;</c> lets code read like the lesson: <c>Mse(Model(x, w1, b1, w2, b2), y)</c>.
/// The backward functions set <see cref="Gradients"/>' <c>G</c> on their arguments, as the lesson's set <c>.g</c>.
/// Every tensor returned or set belongs to the caller's dispose scope.
/// </remarks>
public static class Functions
{
    /// <summary>A linear layer, <c>x @ w + b</c>.</summary>
    /// <param name="x">Input, (N, in).</param>
    /// <param name="w">Weights, (in, out): the lesson's layout, the transpose of <c>nn.Linear</c>'s (out, in).</param>
    /// <param name="b">Bias, (out).</param>
    /// <returns>(N, out).</returns>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names them.</exception>
    public static Tensor Lin(Tensor x, Tensor w, Tensor b)
    {
        Shapes.CheckLin(x, w, b);
        return x.matmul(w) + b;
    }

    /// <summary>The rectified linear unit, <c>max(x, 0)</c>, any shape.</summary>
    public static Tensor Relu(Tensor x) => x.clamp_min(0);

    /// <summary>The lesson's model: <c>Lin(Relu(Lin(xb, w1, b1)), w2, b2)</c>.</summary>
    /// <param name="xb">Input, (N, 784).</param>
    /// <param name="w1">(784, nh).</param>
    /// <param name="b1">(nh).</param>
    /// <param name="w2">(nh, 1).</param>
    /// <param name="b2">(1).</param>
    /// <returns>(N, 1).</returns>
    public static Tensor Model(Tensor xb, Tensor w1, Tensor b1, Tensor w2, Tensor b2) => Lin(Relu(Lin(xb, w1, b1)), w2, b2);

    /// <summary>Mean squared error, <c>(output[:, 0] - targ).pow(2).mean()</c>.</summary>
    /// <remarks>
    /// The lesson's pitfall: <c>output - targ</c> on an (N, 1) output and an (N) target broadcasts to (N, N).
    /// Both are taken as (N) columns first, so that never happens.
    /// </remarks>
    /// <param name="output">(N, 1) or (N).</param>
    /// <param name="targ">(N) or (N, 1); integer labels are promoted, like the lesson's <c>y_train.float()</c>.</param>
    /// <returns>A scalar.</returns>
    /// <exception cref="ArgumentException">The shapes do not pair up; the message names them.</exception>
    public static Tensor Mse(Tensor output, Tensor targ)
    {
        Shapes.CheckMse(output, targ);
        return (Shapes.Column(output) - Shapes.Column(targ)).pow(2).mean();
    }

    /// <summary>
    /// The gradients of <see cref="Lin"/> from <c>out.G</c>: the lesson's <c>lin_grad</c>, setting <c>inp.G</c>, <c>w.G</c> and <c>b.G</c>.
    /// </summary>
    /// <param name="inp">The input the layer saw, (N, in).</param>
    /// <param name="output">The layer's output, (N, out), whose <c>G</c> is set.</param>
    /// <param name="w">The layer's weights, (in, out).</param>
    /// <param name="b">The layer's bias, (out).</param>
    /// <exception cref="InvalidOperationException"><c>output.G</c> is not set.</exception>
    public static void LinGrad(Tensor inp, Tensor output, Tensor w, Tensor b)
    {
        inp.G = output.G.matmul(w.t()); // dL/dinp = dL/dout · wᵀ
        w.G = inp.t().matmul(output.G); // dL/dw = inpᵀ · dL/dout  (the lesson's (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0))
        b.G = output.G.sum(dim: 0);     // dL/db = Σₙ dL/dout
    }

    /// <summary>
    /// The lesson's <c>forward_and_backward</c>: the model and its MSE forward, then the chain rule back from the loss,
    /// setting <c>G</c> on every intermediate and on <paramref name="inp"/>, <paramref name="w1"/>, <paramref name="b1"/>,
    /// <paramref name="w2"/> and <paramref name="b2"/>.
    /// </summary>
    /// <param name="inp">Input, (N, 784).</param>
    /// <param name="targ">Target, (N), floating point.</param>
    /// <param name="w1">(784, nh).</param>
    /// <param name="b1">(nh).</param>
    /// <param name="w2">(nh, 1).</param>
    /// <param name="b2">(1).</param>
    /// <returns>The loss, a scalar (the lesson computes it and drops it).</returns>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names them.</exception>
    public static Tensor ForwardAndBackward(Tensor inp, Tensor targ, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        // forward pass:
        var l1 = Lin(inp, w1, b1);
        var l2 = Relu(l1);
        var output = Lin(l2, w2, b2);
        Shapes.CheckMse(output, targ);
        var diff = output[.., 0] - Shapes.Column(targ);
        var loss = diff.pow(2).mean();

        // backward pass:
        output.G = 2.0 * diff.unsqueeze(1) / inp.shape[0]; // dL/dout = 2 (out - targ) / N
        LinGrad(l2, output, w2, b2);
        l1.G = (l1 > 0).to_type(l2.G.dtype) * l2.G;         // dL/dl1 = dL/dl2 ⊙ 1[l1 > 0]
        LinGrad(inp, l1, w1, b1);
        return loss;
    }
}
