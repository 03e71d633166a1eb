using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>The lesson's loop through the module's registry (cell 12): every parameter, wherever it sits, via <c>model.parameters()</c>.</summary>
public static class ParametersLoop
{
    /// <summary>p -= p.grad · lr for every registered parameter, under <c>no_grad</c>; then <c>model.zero_grad()</c>.</summary>
    public static void Update(nn.Module model, double lr)
    {
        using (no_grad())
        {
            foreach (var p in model.parameters())
            {
                using var g = p.grad;
                if (g is null) continue;
                using var step = g * lr;
                p.sub_(step); // p -= dL/dp · lr
            }
        }
        model.zero_grad();
    }

    /// <summary>The lesson's <c>fit()</c> over <paramref name="model"/>'s parameters; one <see cref="Report"/> per epoch, of its last batch.</summary>
    /// <param name="model">Any module whose parameters are registered (<see cref="Mlp"/>, <see cref="SequentialModel"/>, <c>nn.Sequential</c>), on the device of <paramref name="xTrain"/>.</param>
    /// <param name="xTrain">Inputs, (N, 784).</param>
    /// <param name="yTrain">Targets, (N) int64.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="bs">Batch size.</param>
    public static IReadOnlyList<Report> Fit(nn.Module<Tensor, Tensor> model, Tensor xTrain, Tensor yTrain, double lr = 0.5, int epochs = 3, int bs = 50) =>
        SliceLoop.Fit(model.call, xTrain, yTrain, () => Update(model, lr), epochs, bs);
}
