using static TorchSharp.torch;

namespace Backprop.Tests;

/// <summary>Tensor comparisons with messages that give the shapes and the largest difference.</summary>
internal static class TensorAssert
{
    /// <summary>fastcore's <c>test_close(a, b, eps)</c>: the same shape and every |expected - actual| ≤ eps.</summary>
    public static void Close(Tensor expected, Tensor actual, double eps)
    {
        var diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= eps, $"max |expected - actual| = {diff:G4} > eps {eps:G4} (shape {Shape(expected)})");
    }

    /// <summary>The same shape and max |expected - actual| ≤ rel · max |expected| (both zero passes).</summary>
    public static void RelClose(Tensor expected, Tensor actual, double rel)
    {
        var diff = MaxAbsDiff(expected, actual);
        using var scope = NewDisposeScope();
        var scale = expected.abs().max().to_type(ScalarType.Float64).item<double>();
        Assert.True(diff <= rel * scale, $"max |expected - actual| = {diff:G4} > {rel:G2} × max |expected| = {rel * scale:G4} (shape {Shape(expected)})");
    }

    /// <summary>Values printed with two decimals (the lesson's <c>precision=2</c>): each within 0.005 (+ float slack).</summary>
    public static void Printed(double[] expected, Tensor actual)
    {
        var values = actual.to_type(ScalarType.Float64).data<double>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) <= 0.0051, $"element {i}: {values[i]:F4} does not print as {expected[i]:F2}");
    }

    public static double MaxAbsDiff(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        // In the tensors' own dtype: converting (50000, 784) gradients to float64 first would triple the work for no accuracy that matters here.
        return (expected - actual).abs().max().to_type(ScalarType.Float64).item<double>();
    }

    private static string Shape(Tensor t) => $"({string.Join(", ", t.shape)})";
}
