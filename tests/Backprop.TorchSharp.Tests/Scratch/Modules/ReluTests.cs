using Backprop.Scratch;
using Backprop.Scratch.Modules;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Modules;

public sealed class ReluTests
{
    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Backward_sets_the_gradient_autograd_finds_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (x, outG) = (new Variable(c.Randn(c.N, c.Nh)), c.Randn(c.N, c.Nh));
        var relu = new Relu();

        var output = relu.Call(x);
        output.G = outG;
        relu.Backward();

        TensorAssert.Close(x.Data.clamp_min(0), output.Data, 0);
        TensorAssert.RelClose(Reference.Autograd(l => (l[0].relu() * outG).sum(), x.Data)[0], x.G, 1e-10);
    }

    [Fact]
    public void Backward_before_call_is_refused() =>
        Assert.Contains("Relu.Backward before Relu.Call", Assert.Throws<InvalidOperationException>(new Relu().Backward).Message);
}
