using Backprop.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>
/// Every manual gradient of lesson 03 (and of lesson 04's loss) against autograd, as the lesson's <c>test_close</c> cells do,
/// and against central finite differences.
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
/// (reseeded), log-softmax with a random upstream gradient; the classifier, and one with two hidden layers (784-100-50-10),
/// against TorchSharp's own <c>linear</c>, <c>relu</c> and <c>cross_entropy</c>.
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
    private static readonly string[] DeepModelTensors = [.. ModelTensors, "w3", "b3"];

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
        var lin = Functions.Lin(x, w, b);
        lin.G = g;
        Functions.LinGrad(x, lin, w, b);
        Add("lin", ["x", "w", "b"], [x.G, w.G, b.G],
            [.. new[] { x, w, b }.Select(t => Fd(() => (Functions.Lin(x, w, b) * g).sum(), t))]);
        var (z, gz, relu) = (Randn(n, nh), Randn(n, nh), new Classes.Relu());
        relu.Call(z).G = gz;
        relu.Backward();
        Add("relu", ["x"], [z.G], [Fd(() => (Functions.Relu(z) * gz).sum(), z)]);
        var (pred, yReal, mse) = (Randn(n, 1), Randn(n), new Classes.Mse());
        mse.Call(pred, yReal);
        mse.Backward();
        Add("mse", ["inp"], [pred.G], [Fd(() => Functions.Mse(pred, yReal), pred)]);

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

        // Lesson 03's layers compose: the classifier with two hidden layers.
        var nh2 = rng.Next(2, 7);
        using var deep = new ManualClassifier(Randn(nIn, nh), Randn(nh), Randn(nh, nh2), Randn(nh2), Randn(nh2, c), Randn(c));
        var deepFd = new[] { xc }.Concat(deep.Parameters).Select(t => Fd(() => deep.Loss(xc, targ), t)).ToArray();
        Add("ce_deep_model", DeepModelTensors, ClassifierGrads(deep, xc, targ), deepFd);
        return rows;
    }

    // Memory: the check holds the (50000, 784) input once, its autograd gradient once and one manual form's gradient at
    // a time; every form and every comparison runs in its own dispose scope, so nothing the size of the data set
    // outlives the row that needed it (peak resident memory under 1.2 GB, docs/PERFORMANCE.md).
    private static List<GradCheckRow> MseFormsAgainstAutograd(Mnist data, Device device, int seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        Tensor[] p = [data.XTrain, randn(784, 50), zeros(50), randn(50, 1), zeros(1)];
        p = [.. p.Select(t => t.to(device))];
        var y = data.YTrain.to(device).to_type(ScalarType.Float32);
        var reference = AutogradGrads(l => Functions.Mse(Functions.Model(l[0], l[1], l[2], l[3], l[4]), y), p);
        var forms = new (string Name, Func<Tensor[], Tensor, Tensor[]> Grads)[]
            { ("functions", ThreeForms.Functions), ("classes", ThreeForms.Classes), ("module", ThreeForms.Modules) };
        var rows = new List<GradCheckRow>();
        foreach (var (name, grads) in forms)
        {
            using var formScope = NewDisposeScope();
            rows.AddRange(Compare(name, ModelTensors, grads(p, y), reference, "autograd", AutogradTolerance));
        }
        return rows;
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
        var checks = new Func<List<GradCheckRow>>[]
        {
            () => Compare("log_softmax_naive", ["x"], [Losses.LogSoftmaxNaiveGrad(logits, g)],
                AutogradGrads(l => (Losses.LogSoftmaxNaive(l[0]) * g).sum(), logits), Ag, Tol),
            () => Compare("log_softmax", ["x"], [Losses.LogSoftmaxGrad(logits, g)],
                AutogradGrads(l => (Losses.LogSoftmax(l[0]) * g).sum(), logits), Ag, Tol),
            () => Compare("nll", ["inp"], [Losses.NllGrad(logp, y)], AutogradGrads(l => Losses.Nll(l[0], y), logp), Ag, Tol),
            () => Compare("cross_entropy", ["x"], [Losses.CrossEntropyGrad(logits, y)],
                AutogradGrads(l => Losses.CrossEntropy(l[0], y), logits), Ag, Tol),
            () => Compare("ce_model", ModelTensors, ClassifierGrads(mc, x, y),
                AutogradGrads(l => nn.functional.cross_entropy(TorchClassifier(l), y), [x, .. mc.Parameters]), Ag, Tol),
            () =>
            {
                using var deep = ManualClassifier.Create([100, 50], device: device);
                return Compare("ce_deep_model", DeepModelTensors, ClassifierGrads(deep, x, y),
                    AutogradGrads(l => nn.functional.cross_entropy(TorchClassifier(l), y), [x, .. deep.Parameters]), Ag, Tol);
            },
        };
        var rows = new List<GradCheckRow>();
        foreach (var check in checks)
        {
            using var checkScope = NewDisposeScope();
            rows.AddRange(check());
        }
        return rows;
    }

    /// <summary>The classifier's logits through TorchSharp's own ops, from x, w1, b1, w2, b2, ...: an autograd reference independent of our code.</summary>
    private static Tensor TorchClassifier(Tensor[] l)
    {
        var a = l[0];
        for (var i = 1; i < l.Length; i += 2)
            a = i + 2 < l.Length ? nn.functional.relu(nn.functional.linear(a, l[i].t(), l[i + 1])) : nn.functional.linear(a, l[i].t(), l[i + 1]);
        return a;
    }

    private static Tensor[] ClassifierGrads(ManualClassifier mc, Tensor x, Tensor y)
    {
        mc.Loss(x, y);
        mc.Backward();
        return [mc.InputGradient(), .. mc.Gradients.Select(t => t.clone())];
    }

    /// <summary>
    /// The lesson's check: each input as a fresh leaf that requires grad, the loss, <c>backward()</c>, each <c>grad</c>.
    /// The leaves are <c>detach()</c>ed handles on the inputs' storage rather than the lesson's clones: nothing writes to
    /// them, so the gradients are the same, without a second copy of the data set. The graph and the leaves are freed
    /// before this returns; only the gradients stay, in the caller's dispose scope.
    /// </summary>
    private static Tensor[] AutogradGrads(Func<Tensor[], Tensor> loss, params Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var leaves = inputs.Select(t => t.detach().requires_grad_(true)).ToArray();
        loss(leaves).backward();
        return [.. leaves.Select(l => (l.grad ?? zeros_like(l)).MoveToOuterDisposeScope())];
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
            var (diff, scale) = MaxAbs(m, r);
            var dtype = r.dtype == ScalarType.Float64 ? "float64" : "float32";
            return new GradCheckRow(component, name, m.shape, against, dtype, diff, scale, Math.Min(tolerance, RelativeTolerance * scale));
        }).ToList();

    private const long CompareChunk = 1 << 20;

    /// <summary>
    /// max |m - r| (+∞ when the shapes differ; NaN when either holds one) and max |r|, a million elements at a time,
    /// so that comparing two (50000, 784) gradients allocates 4 MB, not two more copies of them.
    /// </summary>
    private static (double Diff, double Scale) MaxAbs(Tensor m, Tensor r)
    {
        using var scope = NewDisposeScope();
        var same = Enumerable.SequenceEqual(m.shape, r.shape);
        var (a, b) = (same ? m.reshape(-1) : null, r.reshape(-1));
        var (diff, scale) = (same ? 0.0 : double.PositiveInfinity, 0.0);
        for (var at = 0L; at < b.shape[0]; at += CompareChunk)
        {
            using var chunkScope = NewDisposeScope();
            var length = Math.Min(CompareChunk, b.shape[0] - at);
            var rc = b.narrow(0, at, length);
            scale = Max(scale, rc.abs().max().to_type(ScalarType.Float64).item<double>());
            if (a is not null) diff = Max(diff, (a.narrow(0, at, length) - rc).abs().max().to_type(ScalarType.Float64).item<double>());
        }
        return (diff, scale);

        static double Max(double x, double y) => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : Math.Max(x, y);
    }

    /// <summary>
    /// Lesson 03's three manual forms of the MSE model, each giving the x, w1, b1, w2, b2 gradients. Each form runs on
    /// fresh handles (aliases) of the tensors, so that it can only pass with the <c>G</c>s it set itself.
    /// </summary>
    private static class ThreeForms
    {
        public static Tensor[] Functions(Tensor[] p, Tensor y)
        {
            var q = Fresh(p);
            Scratch.Functions.ForwardAndBackward(q[0], y, q[1], q[2], q[3], q[4]);
            return [.. q.Select(t => t.G)];
        }

        public static Tensor[] Classes(Tensor[] p, Tensor y)
        {
            var q = Fresh(p);
            var model = new Scratch.Classes.Model(q[1], q[2], q[3], q[4]);
            model.Call(q[0], y);
            model.Backward();
            return [.. q.Select(t => t.G)];
        }

        public static Tensor[] Modules(Tensor[] p, Tensor y)
        {
            var q = Fresh(p);
            var model = new Scratch.Modules.Model(q[1], q[2], q[3], q[4]);
            model.Call(q[0], y);
            model.Backward();
            return [.. q.Select(t => t.G)];
        }

        private static Tensor[] Fresh(Tensor[] p) => [.. p.Select(t => t.alias())];
    }
}

/// <summary>One line of <see cref="GradCheck"/>: one manual gradient of one component against a reference.</summary>
/// <param name="Component">
/// What was checked: <c>functions</c>, <c>classes</c>, <c>module</c> (lesson 03's three forms of the 784-50-1 MSE model),
/// <c>lin</c>, <c>relu</c>, <c>mse</c>, <c>log_softmax_naive</c>, <c>log_softmax</c>, <c>nll</c>, <c>cross_entropy</c>,
/// <c>ce_model</c> (the <see cref="ManualClassifier"/>, 784-50-10) or <c>ce_deep_model</c> (the same with two hidden layers, 784-100-50-10 on MNIST).
/// </param>
/// <param name="Tensor">Which gradient: <c>x</c>, <c>w1</c>, <c>b1</c>, <c>w2</c>, <c>b2</c>, <c>w3</c>, <c>b3</c>, <c>w</c>, <c>b</c> or <c>inp</c>.</param>
/// <param name="Shape">The gradient's shape.</param>
/// <param name="Reference">What the manual gradient was compared with: <c>autograd</c> or <c>finite_differences</c>.</param>
/// <param name="Dtype">The precision of the check: <c>float32</c> (MNIST, as the lesson) or <c>float64</c> (small random shapes).</param>
/// <param name="MaxAbsDiff">max |manual - reference| over all elements (+∞ when the shapes differ).</param>
/// <param name="MaxAbsReference">max |reference|, the scale the difference is measured against.</param>
/// <param name="Tolerance">
/// The largest <paramref name="MaxAbsDiff"/> that passes: the check's absolute tolerance (0.01 against autograd, the lesson's;
/// 1e-6 against finite differences), capped at 0.1% of <paramref name="MaxAbsReference"/> so that a small gradient cannot pass by being small.
/// </param>
public sealed record GradCheckRow(
    string Component, string Tensor, IReadOnlyList<long> Shape, string Reference, string Dtype,
    double MaxAbsDiff, double MaxAbsReference, double Tolerance)
{
    /// <summary>Whether <see cref="MaxAbsDiff"/> is within <see cref="Tolerance"/> (NaN fails).</summary>
    public bool Pass => MaxAbsDiff <= Tolerance;
}

/// <summary>Central finite differences: the numerical gradient that checks a manual one without autograd.</summary>
public static class FiniteDifferences
{
    /// <summary>The default step h: in float64, truncation (~h²) and rounding (~ε/h) errors both stay near 1e-10.</summary>
    public const double DefaultStep = 1e-5;

    /// <summary>
    /// dL/d<paramref name="input"/> by central differences, <c>(L(x + h eᵢ) - L(x - h eᵢ)) / 2h</c> for each element i,
    /// perturbing <paramref name="input"/> in place (and restoring it) while <paramref name="loss"/> reads it.
    /// </summary>
    /// <param name="loss">Computes the scalar loss from the current value of <paramref name="input"/> (and anything else it closes over).</param>
    /// <param name="input">A float64 CPU tensor (or view) that <paramref name="loss"/> uses, any shape and strides; it must not require grad.</param>
    /// <param name="h">The step.</param>
    /// <returns>A float64 tensor of <paramref name="input"/>'s shape, in the caller's dispose scope.</returns>
    /// <exception cref="ArgumentException">The input is not a float64 CPU tensor, or requires grad.</exception>
    public static Tensor Gradient(Func<Tensor> loss, Tensor input, double h = DefaultStep)
    {
        if (input.dtype != ScalarType.Float64 || input.device_type != DeviceType.CPU || input.requires_grad)
            throw new ArgumentException(
                $"finite differences need a float64 CPU tensor without autograd, got {input.dtype} on {input.device}" +
                (input.requires_grad ? " that requires grad" : ""), nameof(input));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(h);
        var grad = new double[input.numel()];
        var shape = input.shape;
        using var values = input.data<double>();
        for (var i = 0L; i < grad.Length; i++)
        {
            var at = Unravel(i, shape); // TorchSharp's accessor sets by a full index only
            var x = values[at];
            values[at] = x + h;
            var up = Evaluate(loss);
            values[at] = x - h;
            var down = Evaluate(loss);
            values[at] = x;
            grad[i] = (up - down) / (2 * h);
        }
        return tensor(grad, ScalarType.Float64).view(input.shape);
    }

    /// <summary>The row-major index of element <paramref name="i"/> of a tensor of <paramref name="shape"/>.</summary>
    internal static long[] Unravel(long i, long[] shape)
    {
        var at = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--) (at[d], i) = (i % shape[d], i / shape[d]);
        return at;
    }

    private static double Evaluate(Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        return loss().item<double>();
    }
}
