using Backprop.Scratch;
using Backprop.Scratch.Modules;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Modules;

public sealed class MseTests
{
    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Backward_sets_the_gradient_autograd_finds_in_float64_in_the_outputs_shape(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (output, targ) = (new Variable(c.Randn(c.N, 1)), new Variable(c.Randn(c.N)));
        var mse = new Mse();

        var loss = mse.Call(output, targ);
        mse.Backward();

        Assert.Equal(((output.Data[.., 0] - targ.Data).pow(2).mean()).item<double>(), loss.Data.item<double>(), 12);
        Assert.Equal([(long)c.N, 1], output.G.shape);
        TensorAssert.RelClose(Reference.Autograd(l => (l[0].squeeze(-1) - targ.Data).pow(2).mean(), output.Data)[0], output.G, 1e-10);
    }

    [Fact]
    public void Backward_before_call_is_refused_and_mismatched_shapes_are_named()
    {
        using var scope = NewDisposeScope();
        var mse = new Mse();

        Assert.Contains("Mse.Backward before Mse.Call", Assert.Throws<InvalidOperationException>(mse.Backward).Message);
        var e = Assert.Throws<ArgumentException>(() => mse.Call(new Variable(zeros(6, 1)), new Variable(zeros(5))));
        Assert.Contains("(6, 1)", e.Message);
        Assert.Contains("(5)", e.Message);
    }
}
