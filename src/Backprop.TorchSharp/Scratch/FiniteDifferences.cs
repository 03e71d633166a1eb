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
    /// <param name="input">A contiguous float64 CPU tensor that <paramref name="loss"/> uses, any shape; it must not require grad.</param>
    /// <param name="h">The step.</param>
    /// <returns>A float64 tensor of <paramref name="input"/>'s shape, in the caller's dispose scope.</returns>
    /// <exception cref="ArgumentException">The input is not a contiguous float64 CPU tensor, or requires grad.</exception>
    public static Tensor Gradient(Func<Tensor> loss, Tensor input, double h = DefaultStep)
    {
        if (input.dtype != ScalarType.Float64 || input.device_type != DeviceType.CPU || !input.is_contiguous() || input.requires_grad)
            throw new ArgumentException(
                $"finite differences need a contiguous float64 CPU tensor without autograd, got {input.dtype} on {input.device}", nameof(input));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(h);
        var grad = new double[input.numel()];
        using var flat = input.view(-1);
        using var values = flat.data<double>();
        for (var i = 0L; i < grad.Length; i++)
        {
            var x = values[i];
            values[i] = x + h;
            var up = Evaluate(loss);
            values[i] = x - h;
            var down = Evaluate(loss);
            values[i] = x;
            grad[i] = (up - down) / (2 * h);
        }
        return tensor(grad, ScalarType.Float64).view(input.shape);
    }

    private static double Evaluate(Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        return loss().item<double>();
    }
}
