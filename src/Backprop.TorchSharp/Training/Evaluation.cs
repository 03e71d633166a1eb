using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>A model's predictions on a labelled split, with the confusion matrix they give.</summary>
/// <param name="Predictions">The predicted class of every item, (N).</param>
/// <param name="Targets">The true class of every item, (N).</param>
/// <param name="Confusion">Counts of (true, predicted) pairs.</param>
public sealed record Evaluation(long[] Predictions, long[] Targets, ConfusionMatrix Confusion)
{
    /// <summary>Runs <paramref name="predict"/> over <paramref name="x"/> in batches of <paramref name="bs"/> without gradients and compares its argmax with <paramref name="y"/>.</summary>
    /// <param name="predict">The model: (bs, 784) on <paramref name="device"/> to scores (bs, classes).</param>
    /// <param name="x">Inputs, (N, 784), on any device.</param>
    /// <param name="y">Labels, int64 (N).</param>
    /// <param name="device">Where <paramref name="predict"/> expects its input.</param>
    /// <param name="classes">Number of classes (10 for MNIST).</param>
    /// <param name="bs">Batch size; evaluation holds one batch's activations at a time.</param>
    public static Evaluation Run(Func<Tensor, Tensor> predict, Tensor x, Tensor y, Device device, int classes = 10, int bs = 1000)
    {
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentOutOfRangeException.ThrowIfLessThan(bs, 1);
        var n = (int)x.shape[0];
        if (y.shape.Length != 1 || y.shape[0] != n)
            throw new ArgumentException($"x has {n} items but y has shape ({string.Join(", ", y.shape)})");
        var preds = new long[n];
        using (no_grad())
        {
            for (var i = 0; i < n; i += bs)
            {
                using var scope = NewDisposeScope();
                var xb = x[i..Math.Min(n, i + bs)].to(device);
                predict(xb).argmax(1).cpu().data<long>().CopyTo(preds, i);
            }
        }
        var targs = y.cpu().data<long>().ToArray();
        using var p = tensor(preds);
        using var t = tensor(targs);
        return new Evaluation(preds, targs, ConfusionMatrix.From(p, t, classes));
    }

    /// <summary>Fraction predicted correctly.</summary>
    public double Accuracy => Confusion.Accuracy;

    /// <summary>Indices of the wrongly predicted items, in order, at most <paramref name="max"/> of them.</summary>
    public IReadOnlyList<int> Misclassified(int max = int.MaxValue) =>
        [.. Enumerable.Range(0, Predictions.Length).Where(i => Predictions[i] != Targets[i]).Take(max)];
}
