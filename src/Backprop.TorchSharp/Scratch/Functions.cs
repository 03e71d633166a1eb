using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// Lesson 03's first form: plain functions for the 784-50-1 model and its MSE loss, and the backward pass by hand
/// (notebook 03_backprop, "Foundations version" and "Gradients and backward pass").
/// </summary>
/// <remarks>
/// <c>using static Backprop.Scratch.Functions;</c> lets code read like the lesson: <c>Mse(Model(x, w1, b1, w2, b2), y)</c>.
/// Where the lesson's backward functions set <c>.g</c> on their arguments, these return the gradients
/// (<see cref="LinGrads"/>, <see cref="ModelGrads"/>). Every tensor returned belongs to the caller's dispose scope.
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

    /// <summary>dMse/doutput, the shape of <paramref name="output"/>: <c>2 (output - targ) / N</c>.</summary>
    /// <param name="output">(N, 1) or (N).</param>
    /// <param name="targ">(N) or (N, 1).</param>
    public static Tensor MseGrad(Tensor output, Tensor targ)
    {
        Shapes.CheckMse(output, targ);
        var diff = Shapes.Column(output) - Shapes.Column(targ);
        // d/do mean((o - t)²) = 2 (o - t) / N
        return (2.0 * diff / diff.shape[0]).view_as(output);
    }

    /// <summary>dL/dinp of <see cref="Relu"/>, the shape of <paramref name="inp"/>.</summary>
    /// <param name="inp">The input Relu saw.</param>
    /// <param name="outG">dL/dout, the shape of <paramref name="inp"/>.</param>
    public static Tensor ReluGrad(Tensor inp, Tensor outG) => (inp > 0).to_type(outG.dtype) * outG; // dL/dinp = dL/dout ⊙ 1[inp > 0]

    /// <summary>The gradients of <see cref="Lin"/> given dL/dout: the lesson's <c>lin_grad</c>.</summary>
    /// <param name="inp">The input the layer saw, (N, in).</param>
    /// <param name="outG">dL/dout, (N, out).</param>
    /// <param name="w">The layer's weights, (in, out).</param>
    public static LinGrads LinGrad(Tensor inp, Tensor outG, Tensor w) => new(
        outG.matmul(w.t()),   // dL/dinp = dL/dout · wᵀ
        inp.t().matmul(outG), // dL/dw = inpᵀ · dL/dout  (the lesson's (inp.unsqueeze(-1) * out.g.unsqueeze(1)).sum(0))
        outG.sum(dim: 0));    // dL/db = Σₙ dL/dout

    /// <summary>
    /// The lesson's <c>forward_and_backward</c>: runs the model and its MSE forward, then the chain rule backward,
    /// and returns the loss and the gradients of x, w1, b1, w2 and b2.
    /// </summary>
    /// <param name="inp">Input, (N, 784).</param>
    /// <param name="targ">Target, (N).</param>
    /// <param name="w1">(784, nh).</param>
    /// <param name="b1">(nh).</param>
    /// <param name="w2">(nh, 1).</param>
    /// <param name="b2">(1).</param>
    public static ModelGrads ForwardAndBackward(Tensor inp, Tensor targ, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        // forward pass
        var l1 = Lin(inp, w1, b1);
        var l2 = Relu(l1);
        var output = Lin(l2, w2, b2);
        var loss = Mse(output, targ);

        // backward pass, from the loss back to the input
        var outG = MseGrad(output, targ);
        var (l2G, w2G, b2G) = LinGrad(l2, outG, w2);
        var l1G = ReluGrad(l1, l2G);
        var (inpG, w1G, b1G) = LinGrad(inp, l1G, w1);
        return new ModelGrads(loss, inpG, w1G, b1G, w2G, b2G);
    }
}
