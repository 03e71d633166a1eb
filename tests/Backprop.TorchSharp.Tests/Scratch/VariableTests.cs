using Backprop.Scratch;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

public sealed class VariableTests
{
    [Fact]
    public void Its_gradient_is_the_lessons_dot_g_and_keeps_the_values_shape()
    {
        using var scope = NewDisposeScope();
        var v = new Variable(zeros(3, 2));

        Assert.False(v.HasGrad);
        var e = Assert.Throws<InvalidOperationException>(() => v.G);
        Assert.Contains("(3, 2)", e.Message);
        Assert.Contains("backward", e.Message);

        var g = ones(3, 2);
        v.G = g;
        Assert.True(v.HasGrad);
        Assert.Same(g, v.G);
        var bad = Assert.Throws<ArgumentException>(() => v.G = ones(2, 3));
        Assert.Contains("(2, 3)", bad.Message);
        Assert.Contains("(3, 2)", bad.Message);
    }
}
