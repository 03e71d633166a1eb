using Backprop.Scratch;
using Backprop.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Backprop.Tests.Scratch;

[Collection(MnistGroup.Name)]
public sealed class ManualClassifierTests(MnistFixture mnist)
{
    private const int Bs = 50;
    private const double Lr = 0.5;

    [Fact]
    public void Create_draws_the_weights_nn_Linear_draws_after_the_same_seed()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var l1 = nn.Linear(784, 50);
        using var l2 = nn.Linear(50, 10);
        manual_seed(1);
        using var mc = ManualClassifier.Create();

        TensorAssert.Close(l1.weight.t(), mc.W1, 0);
        TensorAssert.Close(l1.bias!, mc.B1, 0);
        TensorAssert.Close(l2.weight.t(), mc.W2, 0);
        TensorAssert.Close(l2.bias!, mc.B2, 0);
        Assert.Equal([784L, 50], mc.W1.shape);
        Assert.Equal([50L, 10], mc.W2.shape);
    }

    [Fact]
    public void With_seed_1_the_first_prediction_is_lesson_04s()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var mc = ManualClassifier.Create();

        // Lesson 04: model = Model(m, nh, 10); preds = model(x_train[0:bs]); preds[0] is
        // [-0.09, -0.21, -0.08, 0.10, -0.04, 0.08, -0.04, -0.03, 0.01, 0.06].
        var preds = mc.Forward(mnist.Mnist.XTrain[..Bs]);
        Assert.Equal([50L, 10], preds.shape);
        TensorAssert.Printed([-0.09, -0.21, -0.08, 0.10, -0.04, 0.08, -0.04, -0.03, 0.01, 0.06], preds[0]);
    }

    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_matches_autograd_in_float64(int seed) =>
        MatchesAutograd(seed, c => [c.Nh], (mc, x, targ) => mc.Loss(x, targ), (logits, targ) => F.cross_entropy(logits, targ));

    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Every_mse_gradient_matches_autograd_in_float64(int seed) =>
        MatchesAutograd(seed, c => [c.Nh], (mc, x, targ) => mc.LossMse(x, targ), (output, targ) => F.mse_loss(output, F.one_hot(targ, output.shape[1]).to(ScalarType.Float64)));

    // Lesson 03's layers compose: two and three hidden layers, each gradient against autograd through TorchSharp's own ops.
    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_of_a_deeper_classifier_matches_autograd_in_float64(int seed)
    {
        MatchesAutograd(seed, c => [c.Nh, c.Nh2], (mc, x, targ) => mc.Loss(x, targ), (logits, targ) => F.cross_entropy(logits, targ));
        MatchesAutograd(seed, c => [c.Nh2, c.Nh, c.Nh2], (mc, x, targ) => mc.LossMse(x, targ), (output, targ) => F.mse_loss(output, F.one_hot(targ, output.shape[1]).to(ScalarType.Float64)));
    }

    private static void MatchesAutograd(int seed, Func<Float64Case, int[]> hidden, Func<ManualClassifier, Tensor, Tensor, Tensor> manualLoss, Func<Tensor, Tensor, Tensor> lossFunc)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var p = RandomLayers(c, hidden(c));
        var (x, targ) = (c.Randn(c.N, c.NIn), c.Classes());
        using var mc = new ManualClassifier([.. p.Select(t => t.clone())]);

        var loss = manualLoss(mc, x, targ);
        mc.Backward();

        var reference = Reference.Autograd(l => lossFunc(TorchForward(l[0], l[1..]), targ), [x, .. p]);
        Assert.Equal(lossFunc(TorchForward(x, p), targ).item<double>(), loss.item<double>(), 12);
        TensorAssert.RelClose(reference[0], mc.InputGradient(), 1e-10);
        Assert.Equal(p.Length, mc.Gradients.Count);
        foreach (var (grad, r) in mc.Gradients.Zip(reference.Skip(1))) TensorAssert.RelClose(r, grad, 1e-10);
    }

    [Theory, MemberData(nameof(Float64Case.FdSeeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_matches_finite_differences_in_float64(int seed)
    {
        MatchesFiniteDifferences(seed, c => [c.Nh]);
        MatchesFiniteDifferences(seed, c => [c.Nh, c.Nh2]);
        MatchesFiniteDifferences(seed, c => [c.Nh2, c.Nh, c.Nh2]);
    }

    private static void MatchesFiniteDifferences(int seed, Func<Float64Case, int[]> hidden)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed, small: true);
        using var mc = new ManualClassifier(RandomLayers(c, hidden(c)));
        var (x, targ) = (c.Randn(c.N, c.NIn), c.Classes());

        mc.Loss(x, targ);
        mc.Backward();
        Tensor[] manual = [mc.InputGradient(), .. mc.Gradients.Select(g => g.clone())];

        var fd = Reference.FiniteDifferences(() => mc.Loss(x, targ), [x, .. mc.Parameters]);
        Assert.Equal(fd.Length, manual.Length);
        foreach (var (m, r) in manual.Zip(fd)) TensorAssert.Close(r, m, 1e-6);
    }

    /// <summary>w1 (NIn, h1), b1, w2 (h1, h2), b2, ..., (hL, C), bL: random float64 layers of the case's sizes.</summary>
    private static Tensor[] RandomLayers(Float64Case c, int[] hidden)
    {
        int[] sizes = [c.NIn, .. hidden, c.C];
        return [.. sizes.Zip(sizes.Skip(1)).SelectMany(s => new[] { c.Randn(s.First, s.Second), c.Randn(s.Second) })];
    }

    /// <summary>The logits through TorchSharp's own <c>linear</c> and <c>relu</c> (weights in the lesson's (in, out) layout).</summary>
    private static Tensor TorchForward(Tensor x, Tensor[] p)
    {
        for (var i = 0; i < p.Length; i += 2)
        {
            x = F.linear(x, p[i].t(), p[i + 1]);
            if (i + 2 < p.Length) x = F.relu(x);
        }
        return x;
    }

    [Theory]
    [InlineData(new[] { 50 })]
    [InlineData(new[] { 100, 50 })]
    public void After_100_steps_it_ends_where_nn_Sequential_with_optim_SGD_ends(int[] hidden)
    {
        manual_seed(1);
        using var model = Models.GetSequential(hidden);
        var layers = model.children().OfType<Linear>().ToArray();
        using var opt = optim.SGD(model.parameters(), Lr);
        using var mc = ManualClassifier.FromLinear(layers);
        manual_seed(1);
        using var created = ManualClassifier.Create(hidden); // draws what nn.Sequential draws, layer by layer
        using var w1Start = mc.W1.clone();
        Tensor[] Reference() => [.. layers.SelectMany(l => new[] { l.weight.t(), l.bias! })];

        Assert.Equal(hidden.Length + 1, mc.Layers);
        using (NewDisposeScope())
            foreach (var (r, ours) in Reference().Zip(created.Parameters)) TensorAssert.Close(r, ours, 0);
        for (var i = 0; i < 100; i++)
        {
            using var scope = NewDisposeScope();
            var (xb, yb) = (mnist.Mnist.XTrain[(i * Bs)..((i + 1) * Bs)], mnist.Mnist.YTrain[(i * Bs)..((i + 1) * Bs)]);
            var loss = F.cross_entropy(model.call(xb), yb);
            opt.zero_grad();
            loss.backward();
            opt.step();

            mc.Loss(xb, yb);
            mc.Backward();
            mc.Step(Lr);
        }

        using var check = NewDisposeScope();
        Assert.Equal(2 * mc.Layers, Reference().Length);
        foreach (var (r, ours) in Reference().Zip(mc.Parameters)) TensorAssert.Close(r, ours, 1e-5); // measured: 1.5e-7 (784-50-10), 3.4e-7 (784-100-50-10)
        Assert.True(TensorAssert.MaxAbsDiff(w1Start, mc.W1) > 0.01, "the weights should have moved in 100 steps");
    }

    [Fact]
    public void One_epoch_of_the_lessons_loop_trains_it_well_above_chance_without_growing_live_tensors()
    {
        manual_seed(1);
        using var mc = ManualClassifier.Create();
        var n = (int)mnist.Mnist.XTrain.shape[0];
        var losses = new List<float>();
        var live = new List<long>();

        for (var i = 0; i < n; i += Bs)
        {
            using var scope = NewDisposeScope();
            var (xb, yb) = (mnist.Mnist.XTrain[i..(i + Bs)], mnist.Mnist.YTrain[i..(i + Bs)]);
            var loss = mc.Loss(xb, yb);
            mc.Backward();
            mc.Step(Lr);
            if (i / Bs % 100 == 0) losses.Add(loss.item<float>()); // a host read outside the hot path, for the test only
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        using var eval = NewDisposeScope();
        using var _ = no_grad();
        var accuracy = (mc.Forward(mnist.Mnist.XValid).argmax(1) == mnist.Mnist.YValid).to_type(ScalarType.Float32).mean().item<float>();
        Assert.True(accuracy > 0.9, $"valid accuracy {accuracy:F3} after one epoch");
        Assert.True(losses[^3..].Average() < losses[0] / 4, $"loss {losses[0]:F2} at the start, {losses[^3..].Average():F2} at the end");
        Assert.Equal(live[10], live[^1]);
    }

    [Fact]
    public void Wrong_shapes_and_calls_out_of_order_are_refused_with_clear_errors()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var mc = ManualClassifier.Create();

        var e = Assert.Throws<ArgumentException>(() => mc.Forward(zeros(50, 783)));
        Assert.Contains("(50, 783)", e.Message);
        Assert.Contains("(784, 50)", e.Message);
        Assert.Contains("Backward before Loss", Assert.Throws<InvalidOperationException>(mc.Backward).Message);
        Assert.Contains("Step before Backward", Assert.Throws<InvalidOperationException>(() => mc.Step(Lr)).Message);
        Assert.Contains("InputGradient before Backward", Assert.Throws<InvalidOperationException>(() =>
        {
            mc.Loss(mnist.Mnist.XTrain[..Bs], mnist.Mnist.YTrain[..Bs]);
            return mc.InputGradient();
        }).Message);
        Assert.Contains("(50, 10)", Assert.Throws<ArgumentException>(() => mc.Loss(mnist.Mnist.XTrain[..Bs], mnist.Mnist.YTrain[..49])).Message);

        using (NewDisposeScope()) mc.Loss(mnist.Mnist.XTrain[..Bs], mnist.Mnist.YTrain[..Bs]);
        Assert.Contains("same dispose scope", Assert.Throws<InvalidOperationException>(mc.Backward).Message);

        Assert.Throws<ArgumentException>(() => new ManualClassifier(zeros(784, 50), zeros(50), zeros(49, 10), zeros(10)));
        Assert.Contains("w3 (20, 10)", Assert.Throws<ArgumentException>(() => new ManualClassifier(zeros(784, 50), zeros(50), zeros(50, 30), zeros(30), zeros(20, 10), zeros(10))).Message);
        Assert.Throws<ArgumentException>(() => new ManualClassifier(zeros(784, 50), zeros(50), zeros(50, 10)));
        Assert.Throws<ArgumentException>(() => new ManualClassifier(zeros(784, 10), zeros(10)));
        Assert.Throws<ArgumentException>(() => ManualClassifier.Create(hidden: []));
        Assert.Throws<ArgumentOutOfRangeException>(() => ManualClassifier.Create([100, 0]));
        using (var l1 = nn.Linear(784, 50))
        using (var l2 = nn.Linear(50, 10))
        using (var deep = ManualClassifier.Create([50, 10]))
            Assert.Contains("3 layers, not 2", Assert.Throws<ArgumentException>(() => deep.CopyTo(l1, l2)).Message);
        Assert.Throws<ArgumentException>(() => new ManualClassifier(zeros(784, 50), zeros(50, ScalarType.Float64), zeros(50, 10), zeros(10)));
        // Weights that need autograd are copied without it: this model computes its own gradients.
        using var fromLeaves = new ManualClassifier(zeros(784, 50, requires_grad: true), zeros(50), zeros(50, 10), zeros(10));
        Assert.All(fromLeaves.Parameters, p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Copy_to_gives_nn_Linear_layers_that_predict_the_same_logits()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var mc = ManualClassifier.Create();
        using var l1 = nn.Linear(784, 50);
        using var l2 = nn.Linear(50, 10);

        mc.CopyTo(l1, l2);

        using var _ = no_grad();
        var xb = mnist.Mnist.XTrain[..Bs];
        TensorAssert.Close(mc.Forward(xb), l2.call(F.relu(l1.call(xb))), 1e-5);
        using var wrong = nn.Linear(784, 20);
        Assert.Throws<ArgumentException>(() => mc.CopyTo(wrong, l2));

        using var deep = ManualClassifier.Create([100, 50]);
        using var model = Models.GetSequential([100, 50]);
        deep.CopyTo([.. model.children().OfType<Linear>()]);
        TensorAssert.Close(deep.Forward(xb), model.call(xb), 1e-5);
    }

    [CudaFact]
    public void On_cuda_a_step_matches_the_cpu_step()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var cpu = ManualClassifier.Create();
        manual_seed(1);
        using var gpu = ManualClassifier.Create(device: CUDA);
        var (xb, yb) = (mnist.Mnist.XTrain[..Bs], mnist.Mnist.YTrain[..Bs]);

        for (var i = 0; i < 5; i++)
        {
            cpu.Loss(xb, yb);
            cpu.Backward();
            cpu.Step(Lr);
            gpu.Loss(xb.cuda(), yb.cuda());
            gpu.Backward();
            gpu.Step(Lr);
        }

        Assert.Equal(DeviceType.CUDA, gpu.W1.device_type);
        foreach (var (c, g) in cpu.Parameters.Zip(gpu.Parameters)) TensorAssert.Close(c, g.cpu(), 1e-4);
    }
}
