using Backprop.Scratch;
using TorchSharp;
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
        MatchesAutograd(seed, (mc, x, targ) => mc.Loss(x, targ), (logits, targ) => F.cross_entropy(logits, targ));

    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Every_mse_gradient_matches_autograd_in_float64(int seed) =>
        MatchesAutograd(seed, (mc, x, targ) => mc.LossMse(x, targ), (output, targ) => F.mse_loss(output, F.one_hot(targ, output.shape[1]).to(ScalarType.Float64)));

    private static void MatchesAutograd(int seed, Func<ManualClassifier, Tensor, Tensor, Tensor> manualLoss, Func<Tensor, Tensor, Tensor> lossFunc)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        Tensor[] p = [c.Randn(c.NIn, c.Nh), c.Randn(c.Nh), c.Randn(c.Nh, c.C), c.Randn(c.C)];
        var (x, targ) = (c.Randn(c.N, c.NIn), c.Classes());
        using var mc = new ManualClassifier(p[0].clone(), p[1].clone(), p[2].clone(), p[3].clone());

        var loss = manualLoss(mc, x, targ);
        mc.Backward();

        var reference = Reference.Autograd(l => lossFunc(F.linear(F.relu(F.linear(l[0], l[1].t(), l[2])), l[3].t(), l[4]), targ), [x, .. p]);
        Assert.Equal(lossFunc(F.linear(F.relu(F.linear(x, p[0].t(), p[1])), p[2].t(), p[3]), targ).item<double>(), loss.item<double>(), 12);
        TensorAssert.RelClose(reference[0], mc.InputGradient(), 1e-10);
        foreach (var (grad, r) in mc.Gradients.Zip(reference.Skip(1))) TensorAssert.RelClose(r, grad, 1e-10);
    }

    [Theory, MemberData(nameof(Float64Case.FdSeeds), MemberType = typeof(Float64Case))]
    public void Every_gradient_matches_finite_differences_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed, small: true);
        using var mc = new ManualClassifier(c.Randn(c.NIn, c.Nh), c.Randn(c.Nh), c.Randn(c.Nh, c.C), c.Randn(c.C));
        var (x, targ) = (c.Randn(c.N, c.NIn), c.Classes());

        mc.Loss(x, targ);
        mc.Backward();
        Tensor[] manual = [mc.InputGradient(), .. mc.Gradients.Select(g => g.clone())];

        var fd = Reference.FiniteDifferences(() => mc.Loss(x, targ), [x, .. mc.Parameters]);
        foreach (var (m, r) in manual.Zip(fd)) TensorAssert.Close(r, m, 1e-6);
    }

    [Fact]
    public void After_100_steps_it_ends_where_nn_Sequential_with_optim_SGD_ends()
    {
        manual_seed(1);
        using var l1 = nn.Linear(784, 50);
        using var l2 = nn.Linear(50, 10);
        using var model = nn.Sequential(("l1", l1), ("relu", nn.ReLU()), ("l2", l2));
        using var opt = optim.SGD(model.parameters(), Lr);
        using var mc = ManualClassifier.FromLinear(l1, l2);
        using var w1Start = mc.W1.clone();

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
        TensorAssert.Close(l1.weight.t(), mc.W1, 1e-4);
        TensorAssert.Close(l1.bias!, mc.B1, 1e-4);
        TensorAssert.Close(l2.weight.t(), mc.W2, 1e-4);
        TensorAssert.Close(l2.bias!, mc.B2, 1e-4);
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
