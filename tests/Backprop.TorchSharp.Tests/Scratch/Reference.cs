using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

/// <summary>Reference gradients the tests compare manual ones with.</summary>
internal static class Reference
{
    /// <summary>Autograd, the lesson's way: each input cloned as a leaf that requires grad, the loss, <c>backward()</c>, each <c>grad</c>.</summary>
    public static Tensor[] Autograd(Func<Tensor[], Tensor> loss, params Tensor[] inputs)
    {
        var leaves = inputs.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        loss(leaves).backward();
        return [.. leaves.Select(l => l.grad ?? zeros_like(l))];
    }

    /// <summary>Central finite differences of each input, written out here (not through the library): (L(x + h) - L(x - h)) / 2h.</summary>
    public static Tensor[] FiniteDifferences(Func<Tensor> loss, params Tensor[] inputs) =>
        [.. inputs.Select(input =>
        {
            const double h = 1e-6;
            var grad = new double[input.numel()];
            using var values = input.data<double>(); // any strides
            for (var i = 0L; i < grad.Length; i++)
            {
                var at = new long[input.dim()];
                for (long d = at.Length - 1, rest = i; d >= 0; d--) (at[d], rest) = (rest % input.shape[d], rest / input.shape[d]);
                var x = values[at];
                values[at] = x + h;
                var up = Eval(loss);
                values[at] = x - h;
                var down = Eval(loss);
                values[at] = x;
                grad[i] = (up - down) / (2 * h);
            }
            return tensor(grad, ScalarType.Float64).view(input.shape);
        })];

    private static double Eval(Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        return loss().item<double>();
    }
}
