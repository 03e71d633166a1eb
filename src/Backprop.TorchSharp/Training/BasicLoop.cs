using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>The lesson's basic training loop (cell 6): update every layer that has weights, by hand, under <c>no_grad</c>.</summary>
public static class BasicLoop
{
    private static readonly string[] Weights = ["weight", "bias"];

    /// <summary>For each layer with a <c>weight</c> (the lesson's <c>hasattr(l, 'weight')</c>): w -= w.grad · lr, b -= b.grad · lr, then zero both grads.</summary>
    public static void Update(IEnumerable<nn.Module> layers, double lr)
    {
        using var noGrad = no_grad();
        foreach (var l in layers)
        {
            if (!l.has_parameter("weight")) continue;
            foreach (var name in Weights)
            {
                var p = l.get_parameter(name);
                using var g = p?.grad;
                if (p is null || g is null) continue;
                using var step = g * lr;
                p.sub_(step); // w -= dL/dw · lr
                g.zero_();
            }
        }
    }

    /// <summary>The lesson's loop over <paramref name="model"/>'s layers; one <see cref="Report"/> per epoch, of its last batch.</summary>
    /// <param name="model">The lesson's <see cref="Model"/>, on the device of <paramref name="xTrain"/>.</param>
    /// <param name="xTrain">Inputs, (N, 784).</param>
    /// <param name="yTrain">Targets, (N) int64.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="bs">Batch size.</param>
    public static IReadOnlyList<Report> Fit(Model model, Tensor xTrain, Tensor yTrain, double lr = 0.5, int epochs = 3, int bs = 50) =>
        SliceLoop.Fit(model.call, xTrain, yTrain, () => Update(model.Layers, lr), epochs, bs);
}
