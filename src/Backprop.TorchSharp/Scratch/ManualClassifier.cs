using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// The 784-nh-10 cross-entropy classifier with every gradient by hand and hand-written SGD: lesson 03's manual path
/// taken to lesson 04's model, for training through <see cref="Training.ManualStep"/> and for benchmarks.
/// </summary>
/// <remarks>
/// <para>
/// The API speaks the lesson's (in, out) layout, <c>xb @ w1 + b1</c>: <see cref="W1"/> is (784, nh) and <see cref="W2"/> is (nh, 10).
/// In memory each weight is <c>nn.Linear</c>'s (out, in) <c>weight</c>, contiguous, and <see cref="W1"/> is its transposed view:
/// <c>W1 = l1.weight.t()</c>, <c>l1.weight = W1.t()</c>; the biases are <c>nn.Linear</c>'s (<see cref="FromLinear"/>, <see cref="CopyTo"/>).
/// With that layout the forward and every gradient run the same kernels on the same memory layouts as autograd on
/// <c>nn.Sequential(nn.Linear, nn.ReLU, nn.Linear)</c> with <c>F.cross_entropy</c> (bit for bit, but for a rounding in the
/// softmax's exp), so the two stay within ~1e-7 over 100 SGD steps; with the lesson's (in, out) storage they drift a few
/// roundings per step, until a ReLU flips and the runs part (1e-3 after 40 steps).
/// </para>
/// <para>
/// A step is <see cref="Loss"/>, <see cref="Backward"/>, <see cref="Step"/>, all in one dispose scope per batch: <see cref="Loss"/>
/// keeps the batch's activations (owned by that scope) for <see cref="Backward"/>. Only the parameters and their gradients
/// live across batches: they are detached from every dispose scope, updated in place, and disposed with the classifier.
/// Nothing on the hot path reads a value back to the host, so on CUDA the steps queue without a sync.
/// Where the lesson sets <c>p.g</c>, <see cref="Gradients"/>[i] holds dL/d<see cref="Parameters"/>[i].
/// </para>
/// </remarks>
public sealed class ManualClassifier : IDisposable
{
    // w1, b1, w2, b2 and their gradients, weights in nn.Linear's (out, in) layout; Parameters and Gradients are (in, out) views of them.
    private readonly Tensor[] _params;
    private readonly Tensor[] _grads;
    private Saved? _saved;
    private Tensor? _z1G;
    private bool _hasGrads;

    /// <summary>A classifier with copies of the given weights (any device, one dtype); the caller keeps what it passed.</summary>
    /// <param name="w1">(in, nh): <c>nn.Linear(in, nh).weight.t()</c>.</param>
    /// <param name="b1">(nh).</param>
    /// <param name="w2">(nh, out): <c>nn.Linear(nh, out).weight.t()</c>.</param>
    /// <param name="b2">(out).</param>
    /// <exception cref="ArgumentException">The shapes do not chain, or the tensors differ in device or dtype.</exception>
    public ManualClassifier(Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        if (w1.dim() != 2 || w2.dim() != 2 || b1.dim() != 1 || b2.dim() != 1 ||
            b1.shape[0] != w1.shape[1] || w2.shape[0] != w1.shape[1] || b2.shape[0] != w2.shape[1])
            throw new ArgumentException(
                $"the weights do not chain: w1 {Shapes.Format(w1.shape)}, b1 {Shapes.Format(b1.shape)}, w2 {Shapes.Format(w2.shape)}, b2 {Shapes.Format(b2.shape)}; " +
                "give w1 (in, nh), b1 (nh), w2 (nh, out), b2 (out)", nameof(w1));
        Tensor[] ps = [w1, b1, w2, b2];
        if (ps.Any(p => p.device_type != w1.device_type || p.device_index != w1.device_index || p.dtype != w1.dtype))
            throw new ArgumentException($"the weights must share one device and dtype, got {string.Join(", ", ps.Select(p => $"{p.device} {p.dtype}"))}", nameof(w1));
        using var scope = NewDisposeScope(); // for the intermediate views; what the classifier keeps is detached from it
        using var _ = no_grad();
        _params = [.. ps.Select(p => (p.dim() == 2 ? p.detach().t().contiguous() : p.detach()).clone().DetachFromDisposeScope())];
        _grads = [.. _params.Select(p => zeros_like(p).DetachFromDisposeScope())];
        Parameters = [.. _params.Select(LessonLayout)];
        Gradients = [.. _grads.Select(LessonLayout)];
    }

    /// <summary>A classifier initialised as <c>nn.Sequential(nn.Linear(nIn, nh), nn.ReLU(), nn.Linear(nh, nOut))</c> would be.</summary>
    /// <remarks>
    /// Draws in <c>nn.Linear</c>'s order from torch's global generator (weight by Kaiming uniform with a = √5, then bias
    /// uniform in ±1/√fan_in, layer 1 then layer 2), on the CPU, then moves to <paramref name="device"/>: after the same
    /// <c>torch.manual_seed</c>, its weights equal the autograd model's, transposed.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public static ManualClassifier Create(int nIn = 784, int nh = 50, int nOut = 10, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nh);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nOut);
        using var scope = NewDisposeScope();
        var (w1, b1) = LinearInit(nIn, nh, dtype);
        var (w2, b2) = LinearInit(nh, nOut, dtype);
        device ??= CPU;
        return new ManualClassifier(w1.to(device).t(), b1.to(device), w2.to(device).t(), b2.to(device));
    }

    /// <summary>A classifier with copies of two <c>nn.Linear</c> layers' weights and biases.</summary>
    /// <param name="l1">The first layer, in to nh.</param>
    /// <param name="l2">The second layer, nh to out.</param>
    /// <exception cref="ArgumentException">A layer has no bias, or the layers do not chain.</exception>
    public static ManualClassifier FromLinear(Linear l1, Linear l2)
    {
        using var scope = NewDisposeScope();
        return new ManualClassifier(l1.weight.t(), BiasOf(l1), l2.weight.t(), BiasOf(l2));
    }

    /// <summary>Copies the weights into two <c>nn.Linear</c> layers of matching sizes (<c>weight = W.t()</c>), e.g. to evaluate or save with the autograd model.</summary>
    /// <exception cref="ArgumentException">A layer's size does not match, or it has no bias.</exception>
    public void CopyTo(Linear l1, Linear l2)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (layer, w, b) in new[] { (l1, _params[0], _params[1]), (l2, _params[2], _params[3]) })
        {
            if (layer.bias is null || !Enumerable.SequenceEqual(layer.weight.shape, w.shape))
                throw new ArgumentException(
                    $"an nn.Linear with weight {Shapes.Format(layer.weight.shape)} cannot take this weight: it needs {Shapes.Format(w.shape)} and a bias", nameof(l1));
            layer.weight.copy_(w);
            layer.bias.copy_(b);
        }
    }

    /// <summary>First layer's weights, (in, nh): a view of <c>nn.Linear</c>'s (nh, in) weight.</summary>
    public Tensor W1 => Parameters[0];

    /// <summary>First layer's bias, (nh).</summary>
    public Tensor B1 => Parameters[1];

    /// <summary>Second layer's weights, (nh, out): a view of <c>nn.Linear</c>'s (out, nh) weight.</summary>
    public Tensor W2 => Parameters[2];

    /// <summary>Second layer's bias, (out).</summary>
    public Tensor B2 => Parameters[3];

    /// <summary>w1, b1, w2, b2: the same tensors for the classifier's life, updated in place by <see cref="Step"/>.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>dL/dw1, dL/db1, dL/dw2, dL/db2 from the last <see cref="Backward"/> (the lesson's <c>p.g</c>), updated in place; same order and shapes as <see cref="Parameters"/>.</summary>
    public IReadOnlyList<Tensor> Gradients { get; }

    /// <summary>The logits, <c>Lin(Relu(Lin(xb, w1, b1)), w2, b2)</c>; saves nothing (use it for evaluation).</summary>
    /// <param name="xb">Images, (N, in), on the parameters' device.</param>
    /// <returns>(N, out).</returns>
    /// <exception cref="ArgumentException">The input does not fit w1; the message names both shapes.</exception>
    public Tensor Forward(Tensor xb)
    {
        Shapes.CheckLin(xb, W1, B1);
        return B2.addmm(B1.addmm(xb, W1).relu_(), W2);
    }

    /// <summary>Forward and cross-entropy, keeping what <see cref="Backward"/> needs (in the caller's dispose scope).</summary>
    /// <remarks>
    /// The log-softmax is TorchSharp's fused kernel, the one <c>F.cross_entropy</c> runs (lesson 04 moves to it too, once
    /// <see cref="Losses.LogSoftmax"/> is shown equal to it); its gradient below is by hand.
    /// </remarks>
    /// <param name="xb">Images, (N, in).</param>
    /// <param name="yb">Labels, (N) int64.</param>
    /// <returns>The mean cross-entropy, a scalar on the parameters' device.</returns>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names them.</exception>
    public Tensor Loss(Tensor xb, Tensor yb)
    {
        Shapes.CheckLin(xb, W1, B1);
        var a1 = B1.addmm(xb, W1).relu_();
        var logp = nn.functional.log_softmax(B2.addmm(a1, W2), 1);
        var loss = Losses.Nll(logp, yb);
        (_saved, _z1G) = (new Saved(xb, yb, a1, logp, Mse: false), null);
        return loss;
    }

    /// <summary>
    /// Forward and the mean squared error against the one-hot target, <c>((out - onehot(yb))²).mean()</c> over all N × out
    /// entries (lesson 03's loss, on 10 outputs), keeping what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="xb">Images, (N, in).</param>
    /// <param name="yb">Labels, (N) int64.</param>
    /// <returns>The mean squared error, a scalar on the parameters' device.</returns>
    /// <exception cref="ArgumentException">The shapes do not fit; the message names them.</exception>
    public Tensor LossMse(Tensor xb, Tensor yb)
    {
        Shapes.CheckLin(xb, W1, B1);
        var a1 = B1.addmm(xb, W1).relu_();
        var output = B2.addmm(a1, W2);
        Shapes.CheckClasses(output, yb, nameof(LossMse));
        var diff = output - nn.functional.one_hot(yb, output.shape[1]).to(output.dtype);
        (_saved, _z1G) = (new Saved(xb, yb, a1, diff, Mse: true), null);
        return diff.square().mean();
    }

    /// <summary>Every parameter gradient by hand, into <see cref="Gradients"/>.</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Loss"/> before it, or its dispose scope has ended.</exception>
    public void Backward()
    {
        var (xb, yb, a1, saved, mse) = Current();
        var logitsG = mse ? saved * (2.0 / saved.numel()) : LogitsGrad(saved, yb); // MSE: dL/dout = 2 (out - onehot) / (N · out)
        _grads[2].addmm_(logitsG.t(), a1, beta: 0, alpha: 1);            // dL/dw2 = a1ᵀ · dL/dlogits, kept as its transpose (out, nh)
        _grads[3].copy_(logitsG.sum(dim: 0));                           // dL/db2 = Σₙ dL/dlogits
        var z1G = logitsG.mm(_params[2]).mul_(a1 > 0);                   // dL/dz1 = (dL/dlogits · w2ᵀ) ⊙ 1[z1 > 0]; a1 > 0 iff z1 > 0
        _grads[0].addmm_(z1G.t(), xb, beta: 0, alpha: 1);                // dL/dw1 = xbᵀ · dL/dz1, kept as its transpose (nh, in)
        _grads[1].copy_(z1G.sum(dim: 0));                               // dL/db1 = Σₙ dL/dz1
        (_z1G, _hasGrads) = (z1G, true);
    }

    /// <summary>dL/dxb, (N, in): the lesson's <c>x.g</c>, computed on demand from the last <see cref="Backward"/> (training never needs it).</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Backward"/> since the last <see cref="Loss"/>.</exception>
    public Tensor InputGradient()
    {
        Current();
        if (_z1G is null || _z1G.IsInvalid) throw new InvalidOperationException("InputGradient before Backward: call Loss, then Backward (in one dispose scope)");
        return _z1G.mm(_params[0]); // dL/dxb = dL/dz1 · w1ᵀ
    }

    /// <summary>Hand-written SGD: <c>p -= lr * p.g</c> for each parameter, in place, under <c>no_grad</c>.</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Backward"/> yet.</exception>
    public void Step(double lr)
    {
        if (!_hasGrads) throw new InvalidOperationException("Step before Backward: call Loss, then Backward, then Step");
        using var _ = no_grad();
        for (var i = 0; i < _params.Length; i++) _params[i].add_(_grads[i], alpha: -lr); // p -= lr · dL/dp
    }

    /// <summary>Disposes the parameters and their gradients.</summary>
    public void Dispose()
    {
        foreach (var t in Parameters.Concat(Gradients).Concat(_params).Concat(_grads)) t.Dispose();
    }

    /// <summary>dL/dlogits of the cross-entropy from the saved log-probabilities, (N, out).</summary>
    private static Tensor LogitsGrad(Tensor logp, Tensor yb)
    {
        var logpG = Losses.NllGrad(logp, yb);                      // dL/dlogp = -onehot / N
        return logpG - logp.exp() * logpG.sum(-1, keepdim: true); // dL/dlogits = dL/dlogp - softmax · Σ_c dL/dlogp = (softmax - onehot) / N
    }

    private Saved Current()
    {
        if (_saved is null) throw new InvalidOperationException("Backward before Loss: call Loss(xb, yb) first");
        if (_saved.Xb.IsInvalid || _saved.A1.IsInvalid || _saved.Output.IsInvalid)
            throw new InvalidOperationException("the tensors saved by Loss were disposed: call Loss and Backward inside the same dispose scope");
        return _saved;
    }

    /// <summary>A weight stored (out, in) as its (in, out) view; a bias as itself (a second handle, so both can be disposed).</summary>
    private static Tensor LessonLayout(Tensor p) => (p.dim() == 2 ? p.t() : p.alias()).DetachFromDisposeScope();

    private static (Tensor W, Tensor B) LinearInit(int fanIn, int fanOut, ScalarType dtype)
    {
        var w = empty([fanOut, fanIn], dtype);
        nn.init.kaiming_uniform_(w, a: Math.Sqrt(5));
        var bound = 1 / Math.Sqrt(fanIn);
        return (w, nn.init.uniform_(empty([fanOut], dtype), -bound, bound));
    }

    private static Parameter BiasOf(Linear l) =>
        l.bias ?? throw new ArgumentException("the nn.Linear layer has no bias; this model needs one", nameof(l));

    /// <summary>What Backward needs: the input, labels, hidden activations, and the log-probabilities (cross-entropy) or output − onehot (MSE).</summary>
    private sealed record Saved(Tensor Xb, Tensor Yb, Tensor A1, Tensor Output, bool Mse);
}
