using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// Every manual gradient of lesson 03 (and of lesson 04's loss) against autograd, as the lesson's <c>test_close</c> cells do,
/// and against central finite differences: the library side of <c>backprop gradcheck</c>.
/// </summary>
/// <remarks>
/// <para>
/// Against autograd (float32, on the device given): real MNIST like the lesson, all 50,000 training images,
/// <c>torch.manual_seed(seed)</c>, <c>w1 = randn(784, 50)</c>, <c>b1 = zeros(50)</c>, <c>w2 = randn(50, 1)</c>, <c>b2 = zeros(1)</c>,
/// targets <c>y_train.float()</c>; each form's x, w1, b1, w2, b2 gradient must be within the lesson's absolute
/// <see cref="AutogradTolerance"/> of autograd's through the same forward (the lesson's <c>mkgrad</c> clones).
/// An absolute tolerance alone would pass any gradient much smaller than itself (the cross-entropy gradients on 50,000
/// images are ~1e-5), so each row's tolerance is also capped at <see cref="RelativeTolerance"/> × max |reference|.
/// The losses are checked on the logits of a 784-50-10 <see cref="ManualClassifier"/> initialised like <c>nn.Linear</c>
/// (reseeded), log-softmax with a random upstream gradient; the classifier against TorchSharp's own
/// <c>linear</c> and <c>cross_entropy</c>.
/// </para>
/// <para>
/// Against finite differences (float64, CPU): small shapes drawn from a generator seeded with <c>seed</c>, every layer and
/// loss and the whole models, within <see cref="FiniteDifferenceTolerance"/>.
/// </para>
/// <para>Uses (and reseeds) torch's global generator; the rows are plain values, every tensor is disposed.</para>
/// </remarks>
public static class GradCheck
{
    /// <summary>The lesson's <c>test_close(a, b, eps=0.01)</c>: an absolute tolerance.</summary>
    public const double AutogradTolerance = 0.01;

    /// <summary>The cap on every row's tolerance, relative to the reference gradient's largest magnitude (0.1%).</summary>
    public const double RelativeTolerance = 1e-3;

    /// <summary>Absolute tolerance against finite differences in float64 (their own error is ~1e-9 here).</summary>
    public const double FiniteDifferenceTolerance = 1e-6;

    /// <summary>Lesson 03's seed.</summary>
    public const int DefaultSeed = 42;

    private static readonly string[] ModelTensors = ["x", "w1", "b1", "w2", "b2"];

    /// <summary>Both checks: <see cref="AgainstAutograd"/> rows, then <see cref="AgainstFiniteDifferences"/> rows.</summary>
    /// <param name="data">MNIST, as <see cref="Mnist.Load"/> gives it.</param>
    /// <param name="device">Where the autograd checks run; the CPU by default.</param>
    /// <param name="seed">The seed of both checks.</param>
    public static IReadOnlyList<GradCheckRow> Run(Mnist data, Device? device = null, int seed = DefaultSeed) =>
        [.. AgainstAutograd(data, device, seed), .. AgainstFiniteDifferences(seed)];

    /// <summary>Manual against autograd on MNIST in float32: functions, classes, module, then the losses and the cross-entropy model.</summary>
    /// <remarks>Lazy, one component group at a time, so a caller can print rows as they come.</remarks>
    public static IEnumerable<GradCheckRow> AgainstAutograd(Mnist data, Device? device = null, int seed = DefaultSeed)
    {
        foreach (var row in MseFormsAgainstAutograd(data, device ?? CPU, seed)) yield return row;
        foreach (var row in CrossEntropyAgainstAutograd(data, device ?? CPU, seed)) yield return row;
    }

    /// <summary>Manual against central finite differences in float64 on small random shapes: every layer, loss and model.</summary>
    public static IReadOnlyList<GradCheckRow> AgainstFiniteDifferences(int seed = DefaultSeed)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator((ulong)seed);
        var rng = new Random(seed);
        long n = rng.Next(2, 7), nIn = rng.Next(3, 9), nh = rng.Next(2, 7), c = rng.Next(2, 6);
        Tensor Randn(params long[] shape) => randn(shape, ScalarType.Float64, generator: gen);
        Tensor Classes() => randint(c, [n], ScalarType.Int64, generator: gen);
        var rows = new List<GradCheckRow>();
        void Add(string component, string[] names, Tensor[] manual, Tensor[] reference) =>
            rows.AddRange(Compare(component, names, manual, reference, "finite_differences", FiniteDifferenceTolerance));
        static Tensor Fd(Func<Tensor> loss, Tensor input) => FiniteDifferences.Gradient(loss, input);

        // Layers: a scalar from their output through a fixed random upstream gradient g, so dL/dout = g.
        var (x, w, b, g) = (Randn(n, nIn), Randn(nIn, nh), Randn(nh), Randn(n, nh));
        var lin = Functions.LinGrad(x, g, w);
        Add("lin", ["x", "w", "b"], [lin.Inp, lin.W, lin.B],
            [.. new[] { x, w, b }.Select(t => Fd(() => (Functions.Lin(x, w, b) * g).sum(), t))]);
        var (z, gz) = (Randn(n, nh), Randn(n, nh));
        Add("relu", ["x"], [Functions.ReluGrad(z, gz)], [Fd(() => (Functions.Relu(z) * gz).sum(), z)]);
        var (pred, yReal) = (Randn(n, 1), Randn(n));
        Add("mse", ["inp"], [Functions.MseGrad(pred, yReal)], [Fd(() => Functions.Mse(pred, yReal), pred)]);

        var (s, gs, targ) = (Randn(n, c), Randn(n, c), Classes());
        Add("log_softmax_naive", ["x"], [Losses.LogSoftmaxNaiveGrad(s, gs)], [Fd(() => (Losses.LogSoftmaxNaive(s) * gs).sum(), s)]);
        Add("log_softmax", ["x"], [Losses.LogSoftmaxGrad(s, gs)], [Fd(() => (Losses.LogSoftmax(s) * gs).sum(), s)]);
        Add("nll", ["inp"], [Losses.NllGrad(s, targ)], [Fd(() => Losses.Nll(s, targ), s)]);
        Add("cross_entropy", ["x"], [Losses.CrossEntropyGrad(s, targ)], [Fd(() => Losses.CrossEntropy(s, targ), s)]);

        // The MSE model in its three forms, against one finite-difference reference.
        Tensor[] p = [Randn(n, nIn), Randn(nIn, nh), Randn(nh), Randn(nh, 1), Randn(1)];
        var fd = p.Select(t => Fd(() => Functions.Mse(Functions.Model(p[0], p[1], p[2], p[3], p[4]), yReal), t)).ToArray();
        Add("functions", ModelTensors, ThreeForms.Functions(p, yReal), fd);
        Add("classes", ModelTensors, ThreeForms.Classes(p, yReal), fd);
        Add("module", ModelTensors, ThreeForms.Modules(p, yReal), fd);

        using var mc = new ManualClassifier(Randn(nIn, nh), Randn(nh), Randn(nh, c), Randn(c));
        var xc = Randn(n, nIn);
        var ceFd = new[] { xc }.Concat(mc.Parameters).Select(t => Fd(() => mc.Loss(xc, targ), t)).ToArray();
        Add("ce_model", ModelTensors, ClassifierGrads(mc, xc, targ), ceFd);
        return rows;
    }

    private static List<GradCheckRow> MseFormsAgainstAutograd(Mnist data, Device device, int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        Tensor[] p = [data.XTrain, randn(784, 50), zeros(50), randn(50, 1), zeros(1)];
        p = [.. p.Select(t => t.to(device))];
        var y = data.YTrain.to(device).to_type(ScalarType.Float32);
        var reference = AutogradGrads(l => Functions.Mse(Functions.Model(l[0], l[1], l[2], l[3], l[4]), y), p);
        return [
            .. Compare("functions", ModelTensors, ThreeForms.Functions(p, y), reference, "autograd", AutogradTolerance),
            .. Compare("classes", ModelTensors, ThreeForms.Classes(p, y), reference, "autograd", AutogradTolerance),
            .. Compare("module", ModelTensors, ThreeForms.Modules(p, y), reference, "autograd", AutogradTolerance)];
    }

    private static List<GradCheckRow> CrossEntropyAgainstAutograd(Mnist data, Device device, int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        using var mc = ManualClassifier.Create(device: device);
        var (x, y) = (data.XTrain.to(device), data.YTrain.to(device));
        var logits = mc.Forward(x);
        var g = randn(logits.shape).to(device);
        var logp = Losses.LogSoftmax(logits);
        const string Ag = "autograd";
        const double Tol = AutogradTolerance;
        return [
            .. Compare("log_softmax_naive", ["x"], [Losses.LogSoftmaxNaiveGrad(logits, g)],
                AutogradGrads(l => (Losses.LogSoftmaxNaive(l[0]) * g).sum(), logits), Ag, Tol),
            .. Compare("log_softmax", ["x"], [Losses.LogSoftmaxGrad(logits, g)],
                AutogradGrads(l => (Losses.LogSoftmax(l[0]) * g).sum(), logits), Ag, Tol),
            .. Compare("nll", ["inp"], [Losses.NllGrad(logp, y)], AutogradGrads(l => Losses.Nll(l[0], y), logp), Ag, Tol),
            .. Compare("cross_entropy", ["x"], [Losses.CrossEntropyGrad(logits, y)],
                AutogradGrads(l => Losses.CrossEntropy(l[0], y), logits), Ag, Tol),
            .. Compare("ce_model", ModelTensors, ClassifierGrads(mc, x, y),
                AutogradGrads(l => nn.functional.cross_entropy(TorchClassifier(l), y), [x, .. mc.Parameters]), Ag, Tol)];
    }

    /// <summary>The classifier's logits through TorchSharp's own ops: an autograd reference independent of our code.</summary>
    private static Tensor TorchClassifier(Tensor[] l) =>
        nn.functional.linear(nn.functional.relu(nn.functional.linear(l[0], l[1].t(), l[2])), l[3].t(), l[4]);

    private static Tensor[] ClassifierGrads(ManualClassifier mc, Tensor x, Tensor y)
    {
        mc.Loss(x, y);
        mc.Backward();
        return [mc.InputGradient(), .. mc.Gradients.Select(t => t.clone())];
    }

    /// <summary>The lesson's check: clone each input as a leaf that requires grad, run the loss, <c>backward()</c>, read each <c>grad</c>.</summary>
    private static Tensor[] AutogradGrads(Func<Tensor[], Tensor> loss, params Tensor[] inputs)
    {
        var leaves = inputs.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        loss(leaves).backward();
        return [.. leaves.Select(l => l.grad ?? zeros_like(l))];
    }

    /// <summary>
    /// One row per named gradient: max |manual - reference| (+∞ when the shapes differ) against
    /// min(<paramref name="tolerance"/>, <see cref="RelativeTolerance"/> × max |reference|).
    /// </summary>
    internal static List<GradCheckRow> Compare(
        string component, string[] names, Tensor[] manual, Tensor[] reference, string against, double tolerance) =>
        names.Select((name, i) =>
        {
            var (m, r) = (manual[i], reference[i]);
            var diff = Enumerable.SequenceEqual(m.shape, r.shape)
                ? (m - r).abs().max().to_type(ScalarType.Float64).item<double>()
                : double.PositiveInfinity;
            var scale = r.abs().max().to_type(ScalarType.Float64).item<double>();
            var dtype = r.dtype == ScalarType.Float64 ? "float64" : "float32";
            return new GradCheckRow(component, name, m.shape, against, dtype, diff, scale, Math.Min(tolerance, RelativeTolerance * scale));
        }).ToList();

    /// <summary>Lesson 03's three manual forms of the MSE model, each giving the x, w1, b1, w2, b2 gradients.</summary>
    private static class ThreeForms
    {
        public static Tensor[] Functions(Tensor[] p, Tensor y)
        {
            var g = Scratch.Functions.ForwardAndBackward(p[0], y, p[1], p[2], p[3], p[4]);
            return [g.X, g.W1, g.B1, g.W2, g.B2];
        }

        public static Tensor[] Classes(Tensor[] p, Tensor y)
        {
            var v = p.Select(t => new Variable(t)).ToArray();
            var model = new Scratch.Classes.Model(v[1], v[2], v[3], v[4]);
            model.Call(v[0], new Variable(y));
            model.Backward();
            return [.. v.Select(t => t.G)];
        }

        public static Tensor[] Modules(Tensor[] p, Tensor y)
        {
            var v = p.Select(t => new Variable(t)).ToArray();
            var model = new Scratch.Modules.Model(v[1], v[2], v[3], v[4]);
            model.Call(v[0], new Variable(y));
            model.Backward();
            return [.. v.Select(t => t.G)];
        }
    }
}
