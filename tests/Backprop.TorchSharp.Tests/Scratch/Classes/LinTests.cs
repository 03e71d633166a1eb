using Backprop.Scratch;
using Backprop.Scratch.Classes;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Classes;

public sealed class LinTests
{
    [Theory, MemberData(nameof(Float64Case.Seeds), MemberType = typeof(Float64Case))]
    public void Backward_sets_the_gradients_autograd_finds_in_float64(int seed)
    {
        using var scope = NewDisposeScope();
        using var c = new Float64Case(seed);
        var (x, w, b, outG) = (new Variable(c.Randn(c.N, c.NIn)), new Variable(c.Randn(c.NIn, c.Nh)), new Variable(c.Randn(c.Nh)), c.Randn(c.N, c.Nh));
        var lin = new Lin(w, b);

        var output = lin.Call(x);
        output.G = outG;
        lin.Backward();

        var reference = Reference.Autograd(l => ((l[0].matmul(l[1]) + l[2]) * outG).sum(), x.Data, w.Data, b.Data);
        TensorAssert.RelClose(reference[0], x.G, 1e-10);
        TensorAssert.RelClose(reference[1], w.G, 1e-10);
        TensorAssert.RelClose(reference[2], b.G, 1e-10);
        Assert.Same(w, lin.W);
        Assert.Same(b, lin.B);
    }

    [Fact]
    public void Backward_before_call_or_before_the_output_has_a_gradient_is_refused()
    {
        using var scope = NewDisposeScope();
        var lin = new Lin(new Variable(zeros(4, 2)), new Variable(zeros(2)));

        Assert.Contains("before Lin.Call", Assert.Throws<InvalidOperationException>(lin.Backward).Message);
        lin.Call(new Variable(zeros(3, 4)));
        Assert.Contains("no gradient yet", Assert.Throws<InvalidOperationException>(lin.Backward).Message);
    }

    [Fact]
    public void An_input_that_does_not_fit_names_both_shapes()
    {
        using var scope = NewDisposeScope();
        var lin = new Lin(new Variable(zeros(784, 50)), new Variable(zeros(50)));

        var e = Assert.Throws<ArgumentException>(() => lin.Call(new Variable(zeros(8, 783))));
        Assert.Contains("(8, 783)", e.Message);
        Assert.Contains("(784, 50)", e.Message);
    }
}
