using Backprop.Scratch;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Forms;

/// <summary>Lin, Relu and Mse in both of the lesson's forms: each backward against autograd in float64, and each misuse refused.</summary>
public sealed class LayerTests
{
    [Theory, MemberData(nameof(LayerForm.NamesAndSeeds), MemberType = typeof(LayerForm))]
    public void Lin_backward_sets_the_gradients_autograd_finds_in_float64(string form, int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (x, w, b, outG) = (c.Randn(c.N, c.NIn), c.Randn(c.NIn, c.Nh), c.Randn(c.Nh), c.Randn(c.N, c.Nh));
        var lin = LayerForm.Named(form).Lin(w, b);

        var output = lin.Call(x);
        output.G = outG;
        lin.Backward();

        var reference = Reference.Autograd(l => ((l[0].matmul(l[1]) + l[2]) * outG).sum(), x, w, b);
        TensorAssert.RelClose(reference[0], x.G, 1e-10);
        TensorAssert.RelClose(reference[1], w.G, 1e-10);
        TensorAssert.RelClose(reference[2], b.G, 1e-10);
    }

    [Theory, MemberData(nameof(LayerForm.NamesAndSeeds), MemberType = typeof(LayerForm))]
    public void Relu_backward_sets_the_gradient_autograd_finds_in_float64(string form, int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (x, outG) = (c.Randn(c.N, c.Nh), c.Randn(c.N, c.Nh));
        var relu = LayerForm.Named(form).Relu();

        var output = relu.Call(x);
        output.G = outG;
        relu.Backward();

        TensorAssert.Close(x.clamp_min(0), output, 0);
        TensorAssert.RelClose(Reference.Autograd(l => (l[0].relu() * outG).sum(), x)[0], x.G, 1e-10);
    }

    [Theory, MemberData(nameof(LayerForm.NamesAndSeeds), MemberType = typeof(LayerForm))]
    public void Mse_backward_sets_the_gradient_autograd_finds_in_float64_in_the_outputs_shape(string form, int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (output, targ) = (c.Randn(c.N, 1), c.Randn(c.N));
        var mse = LayerForm.Named(form).Mse();

        var loss = mse.Call(output, targ);
        mse.Backward();

        Assert.Equal((output[.., 0] - targ).pow(2).mean().item<double>(), loss.item<double>(), 12);
        Assert.Equal([(long)c.N, 1], output.G.shape);
        TensorAssert.RelClose(Reference.Autograd(l => (l[0].squeeze(-1) - targ).pow(2).mean(), output)[0], output.G, 1e-10);
    }

    [Theory, MemberData(nameof(LayerForm.NamesAndFdSeeds), MemberType = typeof(LayerForm))]
    public void Every_layer_s_backward_matches_finite_differences_in_float64(string form, int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed, small: true);
        var f = LayerForm.Named(form);
        var (x, w, b, outG) = (c.Randn(c.N, c.NIn), c.Randn(c.NIn, c.Nh), c.Randn(c.Nh), c.Randn(c.N, c.Nh));
        var (z, pred, targ) = (c.Randn(c.N, c.Nh), c.Randn(c.N, 1), c.Randn(c.N));
        var (lin, relu, mse) = (f.Lin(w, b), f.Relu(), f.Mse());

        lin.Call(x).G = outG;
        lin.Backward();
        relu.Call(z).G = outG;
        relu.Backward();
        mse.Call(pred, targ);
        mse.Backward();

        var linFd = Reference.FiniteDifferences(() => ((x.matmul(w) + b) * outG).sum(), x, w, b);
        TensorAssert.Close(linFd[0], x.G, 1e-6);
        TensorAssert.Close(linFd[1], w.G, 1e-6);
        TensorAssert.Close(linFd[2], b.G, 1e-6);
        TensorAssert.Close(Reference.FiniteDifferences(() => (z.clamp_min(0) * outG).sum(), z)[0], z.G, 1e-6);
        TensorAssert.Close(Reference.FiniteDifferences(() => (pred.squeeze(-1) - targ).pow(2).mean(), pred)[0], pred.G, 1e-6);
    }

    [Theory, MemberData(nameof(LayerForm.Names), MemberType = typeof(LayerForm))]
    public void Backward_before_call_is_refused_by_every_layer(string form)
    {
        using var scope = NewDisposeScope();
        var f = LayerForm.Named(form);

        Assert.Contains("Lin.Backward before Lin.Call", Assert.Throws<InvalidOperationException>(f.Lin(zeros(4, 2), zeros(2)).Backward).Message);
        Assert.Contains("Relu.Backward before Relu.Call", Assert.Throws<InvalidOperationException>(f.Relu().Backward).Message);
        Assert.Contains("Mse.Backward before Mse.Call", Assert.Throws<InvalidOperationException>(f.Mse().Backward).Message);
    }

    [Theory, MemberData(nameof(LayerForm.Names), MemberType = typeof(LayerForm))]
    public void Lin_backward_before_the_output_has_a_gradient_is_refused(string form)
    {
        using var scope = NewDisposeScope();
        var lin = LayerForm.Named(form).Lin(zeros(4, 2), zeros(2));

        lin.Call(zeros(3, 4));

        Assert.Contains("no gradient yet", Assert.Throws<InvalidOperationException>(lin.Backward).Message);
    }

    [Theory, MemberData(nameof(LayerForm.Names), MemberType = typeof(LayerForm))]
    public void Inputs_that_do_not_fit_name_both_shapes(string form)
    {
        using var scope = NewDisposeScope();
        var f = LayerForm.Named(form);

        var lin = Assert.Throws<ArgumentException>(() => f.Lin(zeros(784, 50), zeros(50)).Call(zeros(8, 783)));
        var mse = Assert.Throws<ArgumentException>(() => f.Mse().Call(zeros(6, 1), zeros(5)));

        Assert.Contains("(8, 783)", lin.Message);
        Assert.Contains("(784, 50)", lin.Message);
        Assert.Contains("(6, 1)", mse.Message);
        Assert.Contains("(5)", mse.Message);
    }
}
