using Backprop.Scratch;
using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

public sealed class FiniteDifferencesTests
{
    [Fact]
    public void The_gradient_of_a_sum_of_cubes_is_three_x_squared_even_through_a_transposed_view()
    {
        using var scope = NewDisposeScope();
        var storage = tensor(new[] { 0.5, -1.0, 2.0, 1.5, -0.25, 3.0 }).view(2, 3);
        var x = storage.t(); // (3, 2), not contiguous
        var before = x.clone();

        var g = FiniteDifferences.Gradient(() => x.pow(3).sum(), x);

        TensorAssert.Close(3 * x.pow(2), g, 1e-8);
        TensorAssert.Close(before, x, 0); // every element put back
    }

    [Fact]
    public void It_refuses_what_it_cannot_perturb_exactly()
    {
        using var scope = NewDisposeScope();

        Assert.Contains("float64", Assert.Throws<ArgumentException>(() => FiniteDifferences.Gradient(() => zeros(1), zeros(3))).Message);
        var leaf = zeros(3, ScalarType.Float64, requires_grad: true);
        Assert.Contains("requires grad", Assert.Throws<ArgumentException>(() => FiniteDifferences.Gradient(() => leaf.sum(), leaf)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FiniteDifferences.Gradient(() => zeros(1), zeros(3, ScalarType.Float64), h: 0));
    }
}
