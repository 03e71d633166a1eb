using static Backprop.Scratch.Losses;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Backprop.Tests.Scratch;

[Collection(MnistGroup.Name)]
public sealed class LossesTests(MnistFixture mnist)
{
    /// <summary>Lesson 04's set-up: <c>torch.manual_seed(1)</c>, the 784-50-10 model of <c>nn.Linear</c> layers, <c>pred = model(x_train)</c>.</summary>
    private Tensor Lesson04Pred()
    {
        manual_seed(1);
        using var l1 = nn.Linear(784, 50);
        using var l2 = nn.Linear(50, 10);
        using var _ = no_grad();
        return l2.call(nn.functional.relu(l1.call(mnist.Mnist.XTrain)));
    }

    [Fact]
    public void On_the_lessons_predictions_each_form_matches_torch_at_the_lessons_1e_3()
    {
        using var scope = NewDisposeScope();
        var pred = Lesson04Pred();
        var y = mnist.Mnist.YTrain;

        // test_close(logsumexp(pred), pred.logsumexp(-1)); log_softmax against F.log_softmax.
        TensorAssert.Close(pred.logsumexp(-1), LogSumExp(pred), 1e-3);
        TensorAssert.Close(F.log_softmax(pred, -1), LogSoftmaxNaive(pred), 1e-3);
        TensorAssert.Close(F.log_softmax(pred, -1), LogSoftmax(pred), 1e-3);
        // loss = nll(sm_pred, y_train) is the lesson's tensor(2.30); test_close against F.nll_loss and F.cross_entropy.
        var loss = Nll(LogSoftmax(pred), y);
        TensorAssert.Printed([2.30], loss.unsqueeze(0));
        TensorAssert.Close(F.nll_loss(F.log_softmax(pred, -1), y), loss, 1e-3);
        TensorAssert.Close(F.cross_entropy(pred, y), loss, 1e-3);
        TensorAssert.Close(F.cross_entropy(pred, y), CrossEntropy(pred, y), 1e-3);
    }

    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void In_float64_each_form_matches_torch_to_1e_12(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (x, targ) = (c.Randn(c.N, c.C) * 10, c.Classes());

        TensorAssert.RelClose(x.logsumexp(-1), LogSumExp(x), 1e-12);
        TensorAssert.RelClose(F.log_softmax(x, -1), LogSoftmaxNaive(x), 1e-12);
        TensorAssert.RelClose(F.log_softmax(x, -1), LogSoftmax(x), 1e-12);
        TensorAssert.RelClose(F.nll_loss(F.log_softmax(x, -1), targ), Nll(LogSoftmax(x), targ), 1e-12);
        TensorAssert.RelClose(F.cross_entropy(x, targ), CrossEntropy(x, targ), 1e-12);
    }

    [Fact]
    public void The_max_trick_keeps_large_scores_finite_where_the_naive_form_overflows()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1000f, 999f, 0f, -1000f, -999f, -998f }).view(2, 3);

        Assert.True(LogSoftmaxNaive(x).isnan().any().item<bool>());
        TensorAssert.RelClose(F.log_softmax(x, -1), LogSoftmax(x), 1e-6);
        TensorAssert.Close(x.logsumexp(-1), LogSumExp(x), 1e-3);
        // A row of -inf (a fully masked row) gives -inf, as torch.logsumexp does, not NaN.
        var masked = full(1, 3, float.NegativeInfinity);
        Assert.Equal(float.NegativeInfinity, LogSumExp(masked).item<float>());
    }

    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Every_backward_matches_autograd_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (x, outG, targ) = (c.Randn(c.N, c.C) * 3, c.Randn(c.N, c.C), c.Classes());

        TensorAssert.RelClose(Reference.Autograd(l => (LogSoftmaxNaive(l[0]) * outG).sum(), x)[0], LogSoftmaxNaiveGrad(x, outG), 1e-10);
        TensorAssert.RelClose(Reference.Autograd(l => (LogSoftmax(l[0]) * outG).sum(), x)[0], LogSoftmaxGrad(x, outG), 1e-10);
        TensorAssert.RelClose(Reference.Autograd(l => Nll(l[0], targ), x)[0], NllGrad(x, targ), 1e-10);
        TensorAssert.RelClose(Reference.Autograd(l => CrossEntropy(l[0], targ), x)[0], CrossEntropyGrad(x, targ), 1e-10);
        // And against torch's own loss, not only autograd through ours.
        TensorAssert.RelClose(Reference.Autograd(l => F.cross_entropy(l[0], targ), x)[0], CrossEntropyGrad(x, targ), 1e-10);
    }

    [Theory, MemberData(nameof(Float64Case.FdSeeds), MemberType = typeof(Float64Case))]
    public void Every_backward_matches_finite_differences_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed, small: true);
        var (x, outG, targ) = (c.Randn(c.N, c.C), c.Randn(c.N, c.C), c.Classes());

        TensorAssert.Close(Reference.FiniteDifferences(() => (LogSoftmaxNaive(x) * outG).sum(), x)[0], LogSoftmaxNaiveGrad(x, outG), 1e-6);
        TensorAssert.Close(Reference.FiniteDifferences(() => (LogSoftmax(x) * outG).sum(), x)[0], LogSoftmaxGrad(x, outG), 1e-6);
        TensorAssert.Close(Reference.FiniteDifferences(() => Nll(x, targ), x)[0], NllGrad(x, targ), 1e-6);
        TensorAssert.Close(Reference.FiniteDifferences(() => CrossEntropy(x, targ), x)[0], CrossEntropyGrad(x, targ), 1e-6);
    }

    [Fact]
    public void The_cross_entropy_gradient_is_softmax_minus_one_hot_over_n()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.0, Math.Log(3), 0.0, 0.0 }).view(2, 2);
        var targ = tensor(new[] { 1L, 0L });

        // Row 0: softmax (1/4, 3/4), target 1; row 1: (1/2, 1/2), target 0; over N = 2.
        var expected = tensor(new[] { 0.25 / 2, -0.25 / 2, -0.5 / 2, 0.5 / 2 }).view(2, 2);
        TensorAssert.Close(expected, CrossEntropyGrad(x, targ), 1e-15);
        TensorAssert.Close(tensor(new[] { 0.0, -0.5, -0.5, 0.0 }).view(2, 2), NllGrad(x, targ), 0);
    }

    [Fact]
    public void Nll_refuses_targets_that_do_not_pair_with_the_scores()
    {
        using var scope = NewDisposeScope();

        var e = Assert.Throws<ArgumentException>(() => Nll(zeros(50, 10), zeros(49, ScalarType.Int64)));
        Assert.Contains("(50, 10)", e.Message);
        Assert.Contains("(49)", e.Message);
        var ef = Assert.Throws<ArgumentException>(() => CrossEntropy(zeros(50, 10), zeros(50)));
        Assert.Contains("int64", e.Message + ef.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<ArgumentException>(() => NllGrad(zeros(50), zeros(50, ScalarType.Int64)));
    }
}
