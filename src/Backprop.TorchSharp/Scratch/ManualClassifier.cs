using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// The 784-h1-...-hL-10 cross-entropy classifier with every gradient by hand and hand-written SGD: lesson 03's manual path
/// taken to lesson 04's model, for training through <see cref="Training.ManualStep"/> and for benchmarks. Like lesson 03's
/// <c>Model</c>, it is a list of layers, <c>Lin</c>, <c>Relu</c>, <c>Lin</c>, ..., <c>Lin</c>, each with its backward pass beside its forward
/// one; with one hidden layer (784-nh-10, the default) it is the lesson's model.
/// </summary>
/// <remarks>
/// <para>
/// The API speaks the lesson's (in, out) layout, <c>xb @ w1 + b1</c>: <see cref="W1"/> is (784, h1), <see cref="W2"/> is (h1, h2) or,
/// with one hidden layer, (nh, 10). In memory each weight is <c>nn.Linear</c>'s (out, in) <c>weight</c>, contiguous, and
/// <see cref="W1"/> is its transposed view: <c>W1 = l1.weight.t()</c>, <c>l1.weight = W1.t()</c>; the biases are <c>nn.Linear</c>'s
/// (<see cref="FromLinear"/>, <see cref="CopyTo"/>). With that layout the forward and every gradient run the same kernels on the
/// same memory layouts as autograd on <c>nn.Sequential(nn.Linear, nn.ReLU, ..., nn.Linear)</c> with <c>F.cross_entropy</c> (bit for
/// bit, but for a rounding in the softmax's exp), so the two stay within ~1e-7 over 100 SGD steps; with the lesson's (in, out)
/// storage they drift a few roundings per step, until a ReLU flips and the runs part (1e-3 after 40 steps).
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
    // w1, b1, w2, b2, ... and their gradients, weights in nn.Linear's (out, in) layout; Parameters and Gradients are (in, out) views of them.
    private readonly Tensor[] _params;
    private readonly Tensor[] _grads;
    private Saved? _saved;
    private Tensor? _z1G;
    private bool _hasGrads;

    /// <summary>A classifier with copies of the given weights (any device, one dtype); the caller keeps what it passed.</summary>
    /// <param name="parameters">
    /// Each layer's weight and bias, first to last, at least two layers: w1 (in, h1) = <c>nn.Linear(in, h1).weight.t()</c>,
    /// b1 (h1), w2 (h1, h2), b2 (h2), ..., wL (h(L-1), out), bL (out). The lesson's model is <c>(w1, b1, w2, b2)</c>.
    /// </param>
    /// <exception cref="ArgumentException">The shapes do not chain, or the tensors differ in device or dtype.</exception>
    public ManualClassifier(params IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!Chains(parameters))
            throw new ArgumentException(
                $"the weights do not chain: {string.Join(", ", parameters.Select((p, i) => $"{(i % 2 == 0 ? "w" : "b")}{(i / 2) + 1} {Shapes.Format(p.shape)}"))}; " +
                "give w1 (in, h1), b1 (h1), w2 (h1, h2), b2 (h2), ..., the last w (h, out), b (out): at least two layers", nameof(parameters));
        var w1 = parameters[0];
        if (parameters.Any(p => p.device_type != w1.device_type || p.device_index != w1.device_index || p.dtype != w1.dtype))
            throw new ArgumentException($"the weights must share one device and dtype, got {string.Join(", ", parameters.Select(p => $"{p.device} {p.dtype}"))}", nameof(parameters));
        using var scope = NewDisposeScope(); // for the intermediate views; what the classifier keeps is detached from it
        using var _ = no_grad();
        _params = [.. parameters.Select(p => (p.dim() == 2 ? p.detach().t().contiguous() : p.detach()).clone().DetachFromDisposeScope())];
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
    public static ManualClassifier Create(int nIn = 784, int nh = 50, int nOut = 10, Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        Create([nh], nIn, nOut, device, dtype);

    /// <summary>
    /// A classifier of any depth initialised as <c>nn.Sequential(nn.Linear(nIn, h1), nn.ReLU(), ..., nn.Linear(hL, nOut))</c>
    /// would be: its layers draw in order, as <see cref="Create(int, int, int, Device?, ScalarType)"/> describes.
    /// </summary>
    /// <param name="hidden">The hidden layers' widths, first to last; at least one.</param>
    /// <param name="nIn">Inputs per sample.</param>
    /// <param name="nOut">Classes.</param>
    /// <param name="device">Where the classifier lives; <see langword="null"/> for the CPU.</param>
    /// <param name="dtype">The parameters' type.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="hidden"/> is empty.</exception>
    public static ManualClassifier Create(IReadOnlyList<int> hidden, int nIn = 784, int nOut = 10, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Count == 0) throw new ArgumentException("give at least one hidden layer's width", nameof(hidden));
        int[] sizes = [nIn, .. hidden, nOut];
        foreach (var size in sizes) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(hidden));
        using var scope = NewDisposeScope();
        device ??= CPU;
        var ps = new List<Tensor>();
        for (var i = 0; i + 1 < sizes.Length; i++)
        {
            var (w, b) = LinearInit(sizes[i], sizes[i + 1], dtype);
            ps.AddRange([w.to(device).t(), b.to(device)]);
        }
        return new ManualClassifier(ps);
    }

    /// <summary>A classifier with copies of <c>nn.Linear</c> layers' weights and biases, first to last (the lesson's: two).</summary>
    /// <param name="layers">The layers, in to h1, h1 to h2, ..., hL to out.</param>
    /// <exception cref="ArgumentException">A layer has no bias, there are fewer than two, or they do not chain.</exception>
    public static ManualClassifier FromLinear(params IReadOnlyList<Linear> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        using var scope = NewDisposeScope();
        return new ManualClassifier([.. layers.SelectMany(l => new Tensor[] { l.weight.t(), BiasOf(l) })]);
    }

    /// <summary>Copies the weights into <c>nn.Linear</c> layers of matching sizes (<c>weight = W.t()</c>), e.g. to evaluate or save with the autograd model.</summary>
    /// <param name="layers">One layer per layer of this classifier, first to last.</param>
    /// <exception cref="ArgumentException">The number of layers or a layer's size does not match, or a layer has no bias.</exception>
    public void CopyTo(params IReadOnlyList<Linear> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count != Layers) throw new ArgumentException($"this classifier has {Layers} layers, not {layers.Count}", nameof(layers));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (layer, l) in layers.Select((layer, l) => (layer, l)))
        {
            var (w, b) = (_params[2 * l], _params[(2 * l) + 1]);
            if (layer.bias is null || !Enumerable.SequenceEqual(layer.weight.shape, w.shape))
                throw new ArgumentException(
                    $"an nn.Linear with weight {Shapes.Format(layer.weight.shape)} cannot take layer {l + 1}'s weight: it needs {Shapes.Format(w.shape)} and a bias", nameof(layers));
            layer.weight.copy_(w);
            layer.bias.copy_(b);
        }
    }

    /// <summary>The number of <c>Lin</c> layers: hidden layers + 1 (2 for the lesson's 784-nh-10).</summary>
    public int Layers => _params.Length / 2;

    /// <summary>First layer's weights, (in, h1): a view of <c>nn.Linear</c>'s (h1, in) weight.</summary>
    public Tensor W1 => Parameters[0];

    /// <summary>First layer's bias, (h1).</summary>
    public Tensor B1 => Parameters[1];

    /// <summary>Second layer's weights, (h1, h2), the output layer's (nh, out) in the lesson's model: a view of <c>nn.Linear</c>'s (out, in) weight.</summary>
    public Tensor W2 => Parameters[2];

    /// <summary>Second layer's bias.</summary>
    public Tensor B2 => Parameters[3];

    /// <summary>w1, b1, w2, b2, ...: the same tensors for the classifier's life, updated in place by <see cref="Step"/>.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>dL/dw1, dL/db1, dL/dw2, dL/db2, ... from the last <see cref="Backward"/> (the lesson's <c>p.g</c>), updated in place; same order and shapes as <see cref="Parameters"/>.</summary>
    public IReadOnlyList<Tensor> Gradients { get; }

    /// <summary>The logits, <c>Lin(Relu(... Relu(Lin(xb, w1, b1)) ...), wL, bL)</c>; saves nothing (use it for evaluation).</summary>
    /// <param name="xb">Images, (N, in), on the parameters' device.</param>
    /// <returns>(N, out).</returns>
    /// <exception cref="ArgumentException">The input does not fit w1; the message names both shapes.</exception>
    public Tensor Forward(Tensor xb)
    {
        Shapes.CheckLin(xb, W1, B1);
        var a = xb;
        for (var l = 0; l < Layers - 1; l++) a = Relu(Lin(l, a));
        return Lin(Layers - 1, a);
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
        var inputs = LayerInputs(xb);
        var logp = nn.functional.log_softmax(Lin(Layers - 1, inputs[^1]), 1);
        var loss = Losses.Nll(logp, yb);
        (_saved, _z1G) = (new Saved(inputs, yb, logp, Mse: false), null);
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
        var inputs = LayerInputs(xb);
        var output = Lin(Layers - 1, inputs[^1]);
        Shapes.CheckClasses(output, yb, nameof(LossMse));
        var diff = output - nn.functional.one_hot(yb, output.shape[1]).to(output.dtype);
        (_saved, _z1G) = (new Saved(inputs, yb, diff, Mse: true), null);
        return diff.square().mean();
    }

    /// <summary>Every parameter gradient by hand, into <see cref="Gradients"/>: from the loss back through each layer, last to first.</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Loss"/> before it, or its dispose scope has ended.</exception>
    public void Backward()
    {
        var (inputs, yb, saved, mse) = Current();
        var outG = mse ? saved * (2.0 / saved.numel()) : LogitsGrad(saved, yb); // MSE: dL/dout = 2 (out - onehot) / (N · out)
        for (var l = Layers - 1; ; l--)
        {
            LinGrad(l, inputs[l], outG);
            if (l == 0) break;
            outG = ReluGrad(inputs[l], LinInputGrad(l, outG)); // the layer below's output gradient: back through its ReLU
        }
        (_z1G, _hasGrads) = (outG, true);
    }

    /// <summary>dL/dxb, (N, in): the lesson's <c>x.g</c>, computed on demand from the last <see cref="Backward"/> (training never needs it).</summary>
    /// <exception cref="InvalidOperationException">No <see cref="Backward"/> since the last <see cref="Loss"/>.</exception>
    public Tensor InputGradient()
    {
        Current();
        if (_z1G is null || _z1G.IsInvalid) throw new InvalidOperationException("InputGradient before Backward: call Loss, then Backward (in one dispose scope)");
        return LinInputGrad(0, _z1G);
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

    // Lesson 03's Lin, out = inp · w + b, and right under it its backward pass; w is kept as nn.Linear's (out, in) weight.
    private Tensor Lin(int l, Tensor inp) => _params[(2 * l) + 1].addmm(inp, Parameters[2 * l]);

    private void LinGrad(int l, Tensor inp, Tensor outG)
    {
        _grads[2 * l].addmm_(outG.t(), inp, beta: 0, alpha: 1); // dL/dw = inpᵀ · dL/dout, kept as its transpose (out, in)
        _grads[(2 * l) + 1].copy_(outG.sum(dim: 0));            // dL/db = Σₙ dL/dout
    }

    private Tensor LinInputGrad(int l, Tensor outG) => outG.mm(_params[2 * l]); // dL/dinp = dL/dout · wᵀ (apart: the first layer's is never needed to train)

    // Lesson 03's Relu, out = max(z, 0) in place, and its backward pass: dL/dz = dL/dout ⊙ 1[z > 0], where out > 0 iff z > 0.
    private static Tensor Relu(Tensor z) => z.relu_();

    private static Tensor ReluGrad(Tensor output, Tensor outG) => outG.mul_(output > 0);

    // The input of every Lin layer: xb, then each hidden layer's ReLU output.
    private Tensor[] LayerInputs(Tensor xb)
    {
        Shapes.CheckLin(xb, W1, B1);
        var inputs = new Tensor[Layers];
        inputs[0] = xb;
        for (var l = 1; l < Layers; l++) inputs[l] = Relu(Lin(l - 1, inputs[l - 1]));
        return inputs;
    }

    // At least two layers; each w 2-D, its b its width, and each layer's input the width of the one before.
    private static bool Chains(IReadOnlyList<Tensor> ps)
    {
        if (ps.Count < 4 || ps.Count % 2 != 0) return false;
        for (var i = 0; i < ps.Count; i += 2)
        {
            var (w, b) = (ps[i], ps[i + 1]);
            if (w.dim() != 2 || b.dim() != 1 || b.shape[0] != w.shape[1] || (i > 0 && w.shape[0] != ps[i - 2].shape[1])) return false;
        }
        return true;
    }

    private Saved Current()
    {
        if (_saved is null) throw new InvalidOperationException("Backward before Loss: call Loss(xb, yb) first");
        if (_saved.Inputs.Any(t => t.IsInvalid) || _saved.Output.IsInvalid)
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

    /// <summary>What Backward needs: each layer's input (xb, then the hidden activations), the labels, and the log-probabilities (cross-entropy) or output − onehot (MSE).</summary>
    private sealed record Saved(Tensor[] Inputs, Tensor Yb, Tensor Output, bool Mse);
}
