using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// The lesson's training loop over slices of preloaded tensors (cells 6 to 20): for each batch, forward, loss, backward,
/// then an update rule (<see cref="BasicLoop"/>, <see cref="ParametersLoop"/>, <see cref="OptimizerLoop"/>). It runs on
/// the device the data and the model are on.
/// </summary>
public static class SliceLoop
{
    /// <summary>Trains for <paramref name="epochs"/>; returns one <see cref="Report"/> per epoch, of its last batch (what the lesson prints).</summary>
    /// <param name="model">The forward pass: (bs, 784) to (bs, 10) logits.</param>
    /// <param name="xTrain">Inputs, (N, 784).</param>
    /// <param name="yTrain">Targets, (N) int64.</param>
    /// <param name="update">The update rule, run after each backward pass.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="bs">Batch size.</param>
    /// <param name="lossFunc">The loss; <see langword="null"/> for <see cref="LossFunc.CrossEntropy"/>.</param>
    public static IReadOnlyList<Report> Fit(Func<Tensor, Tensor> model, Tensor xTrain, Tensor yTrain, Action update,
        int epochs = 3, int bs = 50, Func<Tensor, Tensor, Tensor>? lossFunc = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bs);
        lossFunc ??= LossFunc.CrossEntropy;
        var n = xTrain.shape[0];
        var reports = new List<Report>(epochs);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            for (long i = 0; i < n; i += bs)
            {
                using var scope = NewDisposeScope();
                var s = Math.Min(n, i + bs) - i;
                var (xb, yb) = (xTrain.narrow(0, i, s), yTrain.narrow(0, i, s));
                var preds = model(xb);
                var loss = lossFunc(preds, yb);
                loss.backward();
                update();
                if (i + bs >= n) reports.Add(Report.Of(loss, preds, yb));
            }
        }
        return reports;
    }
}
