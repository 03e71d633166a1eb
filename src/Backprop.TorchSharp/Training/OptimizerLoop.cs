using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>The lesson's loop with an optimizer (cells 20 and 21): <c>opt.step()</c>, <c>opt.zero_grad()</c>, with the hand-written <see cref="Optimizer"/> or <c>optim.SGD</c>.</summary>
public static class OptimizerLoop
{
    /// <summary>The lesson's <c>fit(model, epochs)</c>; one <see cref="Report"/> per epoch, of its last batch.</summary>
    /// <param name="model">The model, on the device of <paramref name="xTrain"/>.</param>
    /// <param name="opt">The optimizer over the model's parameters.</param>
    /// <param name="xTrain">Inputs, (N, 784).</param>
    /// <param name="yTrain">Targets, (N) int64.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="bs">Batch size.</param>
    public static IReadOnlyList<Report> Fit(nn.Module<Tensor, Tensor> model, optim.Optimizer opt, Tensor xTrain, Tensor yTrain, int epochs = 3, int bs = 50) =>
        SliceLoop.Fit(model.call, xTrain, yTrain, () =>
        {
            opt.step();
            opt.zero_grad();
        }, epochs, bs);
}
