using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Scratch;

/// <summary>Central finite differences: the numerical gradient that checks a manual one without autograd.</summary>
public static class FiniteDifferences
{
    /// <summary>The default step h: in float64, truncation (~h²) and rounding (~ε/h) errors both stay near 1e-10.</summary>
    public const double DefaultStep = 1e-5;

    /// <summary>
    /// dL/d<paramref name="input"/> by central differences, <c>(L(x + h eᵢ) - L(x - h eᵢ)) / 2h</c> for each element i,
    /// perturbing <paramref name="input"/> in place (and restoring it) while <paramref name="loss"/> reads it.
    /// </summary>
    /// <param name="loss">Computes the scalar loss from the current value of <paramref name="input"/> (and anything else it closes over).</param>
    /// <param name="input">A float64 CPU tensor (or view) that <paramref name="loss"/> uses, any shape and strides; it must not require grad.</param>
    /// <param name="h">The step.</param>
    /// <returns>A float64 tensor of <paramref name="input"/>'s shape, in the caller's dispose scope.</returns>
    /// <exception cref="ArgumentException">The input is not a float64 CPU tensor, or requires grad.</exception>
    public static Tensor Gradient(Func<Tensor> loss, Tensor input, double h = DefaultStep)
    {
        if (input.dtype != ScalarType.Float64 || input.device_type != DeviceType.CPU || input.requires_grad)
            throw new ArgumentException(
                $"finite differences need a float64 CPU tensor without autograd, got {input.dtype} on {input.device}" +
                (input.requires_grad ? " that requires grad" : ""), nameof(input));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(h);
        var grad = new double[input.numel()];
        var shape = input.shape;
        using var values = input.data<double>();
        for (var i = 0L; i < grad.Length; i++)
        {
            var at = Unravel(i, shape); // TorchSharp's accessor sets by a full index only
            var x = values[at];
            values[at] = x + h;
            var up = Evaluate(loss);
            values[at] = x - h;
            var down = Evaluate(loss);
            values[at] = x;
            grad[i] = (up - down) / (2 * h);
        }
        return tensor(grad, ScalarType.Float64).view(input.shape);
    }

    /// <summary>The row-major index of element <paramref name="i"/> of a tensor of <paramref name="shape"/>.</summary>
    internal static long[] Unravel(long i, long[] shape)
    {
        var at = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--) (at[d], i) = (i % shape[d], i / shape[d]);
        return at;
    }

    private static double Evaluate(Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        return loss().item<double>();
    }
}
