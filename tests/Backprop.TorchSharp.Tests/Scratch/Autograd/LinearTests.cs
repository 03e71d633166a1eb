using Backprop.Scratch.Autograd;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch.Autograd;

public sealed class LinearTests
{
    [Fact]
    public void It_is_initialised_like_the_lesson_and_registers_w_and_b()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        var expectedW = randn(784, 50);
        manual_seed(42);
        using var lin = new Linear(784, 50);

        TensorAssert.Close(expectedW, lin.W, 0);
        TensorAssert.Close(zeros(50), lin.B, 0);
        Assert.Equal(["w", "b"], lin.named_parameters().Select(p => p.name));
        Assert.All(lin.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Autograd_gives_the_linear_gradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var lin = new Linear(6, 4);
        var x = randn(5, 6);

        var output = lin.call(x);
        output.sum().backward();

        TensorAssert.Close(x.matmul(lin.W) + lin.B, output, 1e-6);
        // d Σ(xw + b)/dw = xᵀ · 1, d/db = N
        TensorAssert.Close(x.t().matmul(ones(5, 4)), lin.W.grad!, 1e-5);
        TensorAssert.Close(full(4, 5f), lin.B.grad!, 0);
    }

    [Fact]
    public void A_bad_input_names_both_shapes()
    {
        using var scope = NewDisposeScope();
        using var lin = new Linear(784, 50);

        var e = Assert.Throws<ArgumentException>(() => lin.call(zeros(2, 783)));
        Assert.Contains("(2, 783)", e.Message);
        Assert.Contains("(784, 50)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 3));
    }
}
