using Backprop.Scratch;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

/// <summary>The <c>G</c> extension: the lesson's <c>.g</c>, one per tensor object, shaped like its tensor.</summary>
public sealed class GradientsTests
{
    [Fact]
    public void Reading_an_unset_gradient_names_the_tensors_shape()
    {
        using var scope = NewDisposeScope();
        var t = zeros(3, 2);

        Assert.False(t.HasG);
        var e = Assert.Throws<InvalidOperationException>(() => t.G);
        Assert.Contains("(3, 2)", e.Message);
        Assert.Contains("backward", e.Message);
    }

    [Fact]
    public void A_set_gradient_is_read_back_as_the_same_tensor_and_can_be_replaced()
    {
        using var scope = NewDisposeScope();
        var (t, g, g2) = (zeros(3, 2), ones(3, 2), full(3, 2, 2f));

        t.G = g;
        Assert.True(t.HasG);
        Assert.Same(g, t.G);
        t.G = g2;
        Assert.Same(g2, t.G);
    }

    [Fact]
    public void A_gradient_of_another_shape_is_refused_naming_both_shapes()
    {
        using var scope = NewDisposeScope();
        var t = zeros(3, 2);

        var e = Assert.Throws<ArgumentException>(() => t.G = ones(2, 3));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(3, 2)", e.Message);
        Assert.False(t.HasG);
        Assert.Throws<ArgumentException>(() => t.G = ones(6)); // same count, other shape
    }

    [Fact]
    public void Each_tensor_object_has_its_own_gradient_even_on_shared_storage()
    {
        using var scope = NewDisposeScope();
        var (a, b) = (zeros(4), zeros(4));
        var view = a.alias(); // the same storage, another object: like a second Python tensor on a's data

        a.G = ones(4);
        b.G = full(4, 2f);

        Assert.Equal(1f, a.G[0].item<float>());
        Assert.Equal(2f, b.G[0].item<float>());
        Assert.False(view.HasG);
        Assert.Throws<InvalidOperationException>(() => view.G);
    }

    [Fact]
    public void A_gradient_disposed_with_its_scope_is_no_longer_read()
    {
        var t = zeros(2);
        using (NewDisposeScope()) t.G = ones(2);

        Assert.False(t.HasG);
        Assert.Contains("disposed", Assert.Throws<InvalidOperationException>(() => t.G).Message);
        t.Dispose();
    }
}
