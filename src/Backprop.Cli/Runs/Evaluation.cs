using static TorchSharp.torch;

namespace Backprop.Cli.Runs;

/// <summary>A model's predictions on a labelled split, with the confusion matrix they give.</summary>
/// <param name="Predictions">The predicted class of every item, (N).</param>
/// <param name="Targets">The true class of every item, (N).</param>
/// <param name="Confusion">Counts of (true, predicted) pairs.</param>
/// <param name="NonFinite">Items whose scores hold a NaN or an infinity (weights that overflow float32): their argmax means nothing.</param>
internal sealed record Evaluation(long[] Predictions, long[] Targets, ConfusionMatrix Confusion, int NonFinite = 0)
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
        var nonFinite = 0L;
        using (no_grad())
        {
            for (var i = 0; i < n; i += bs)
            {
                using var scope = NewDisposeScope();
                var xb = x[i..Math.Min(n, i + bs)].to(device);
                var scores = predict(xb);
                nonFinite += scores.isfinite().all(1).logical_not().sum().item<long>();
                scores.argmax(1).cpu().data<long>().CopyTo(preds, i);
            }
        }
        var targs = y.cpu().data<long>().ToArray();
        using var p = tensor(preds);
        using var t = tensor(targs);
        return new Evaluation(preds, targs, ConfusionMatrix.From(p, t, classes), (int)nonFinite);
    }

    /// <summary>Fraction predicted correctly.</summary>
    public double Accuracy => Confusion.Accuracy;

    /// <summary>Indices of the wrongly predicted items, in order, at most <paramref name="max"/> of them.</summary>
    public IReadOnlyList<int> Misclassified(int max = int.MaxValue) =>
        [.. Enumerable.Range(0, Predictions.Length).Where(i => Predictions[i] != Targets[i]).Take(max)];
}

/// <summary>One item ranked by its loss, for <see cref="TopLossesPlot"/>.</summary>
/// <param name="Index">The item's row in the split.</param>
/// <param name="Predicted">The arg-max class.</param>
/// <param name="Actual">The true class.</param>
/// <param name="Loss">The item's cross-entropy, −log softmax(scores)[actual].</param>
/// <param name="Probability">softmax(scores)[predicted].</param>
internal sealed record ItemLoss(int Index, long Predicted, long Actual, double Loss, double Probability);

/// <summary>fastai's <c>top_losses</c>: the items a model finds hardest, highest loss first.</summary>
internal static class TopLosses
{
    /// <summary>The <paramref name="k"/> items of (<paramref name="x"/> (N, 784), <paramref name="y"/> (N)) with the highest cross-entropy under <paramref name="predict"/>, highest first (ties by index).</summary>
    public static IReadOnlyList<ItemLoss> Find(Func<Tensor, Tensor> predict, Tensor x, Tensor y, Device device, int k, int bs = 1000)
    {
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentOutOfRangeException.ThrowIfLessThan(bs, 1);
        var n = (int)x.shape[0];
        var (loss, prob, pred) = (new double[n], new double[n], new long[n]);
        using (no_grad())
        {
            for (var i = 0; i < n; i += bs)
            {
                using var scope = NewDisposeScope();
                var (xb, yb) = (x[i..Math.Min(n, i + bs)].to(device), y[i..Math.Min(n, i + bs)].to(device));
                var logp = nn.functional.log_softmax(predict(xb), 1).to_type(ScalarType.Float64);
                var (maxLogp, argmax) = logp.max(1);
                (-logp.gather(1, yb.unsqueeze(1)).squeeze(1)).cpu().data<double>().CopyTo(loss, i);
                maxLogp.exp().cpu().data<double>().CopyTo(prob, i);
                argmax.cpu().data<long>().CopyTo(pred, i);
            }
        }
        var actual = y.cpu().data<long>().ToArray();
        return [.. Enumerable.Range(0, n).OrderByDescending(i => loss[i]).ThenBy(i => i).Take(k)
            .Select(i => new ItemLoss(i, pred[i], actual[i], loss[i], prob[i]))];
    }
}

/// <summary>
/// Counts of (true class, predicted class) pairs: row = the true digit, column = the prediction. The diagonal holds
/// the correct predictions; everything else is a confusion.
/// </summary>
internal sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>Wraps a square matrix of counts, rows = true class, columns = predicted class.</summary>
    public ConfusionMatrix(long[,] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.GetLength(0) != counts.GetLength(1))
            throw new ArgumentException($"a confusion matrix is square; got {counts.GetLength(0)}×{counts.GetLength(1)}", nameof(counts));
        _counts = (long[,])counts.Clone();
    }

    /// <summary>Counts the pairs of <paramref name="preds"/> and <paramref name="targs"/>, both int64 (N) with values in [0, classes).</summary>
    public static ConfusionMatrix From(Tensor preds, Tensor targs, int classes)
    {
        if (!preds.shape.SequenceEqual(targs.shape) || preds.dim() != 1)
            throw new ArgumentException($"predictions ({string.Join(", ", preds.shape)}) and targets ({string.Join(", ", targs.shape)}) must both be (N)");
        using var scope = NewDisposeScope();
        if (preds.numel() > 0 && (Math.Min(preds.min().item<long>(), targs.min().item<long>()) < 0 || Math.Max(preds.max().item<long>(), targs.max().item<long>()) >= classes))
            throw new ArgumentException($"labels outside [0, {classes})");
        // One bincount over targ·classes + pred fills the whole matrix at once.
        var flat = (targs.cpu() * classes + preds.cpu()).bincount(null, classes * classes).data<long>().ToArray();
        var counts = new long[classes, classes];
        Buffer.BlockCopy(flat, 0, counts, 0, flat.Length * sizeof(long));
        return new ConfusionMatrix(counts);
    }

    /// <summary>Number of classes.</summary>
    public int Classes => _counts.GetLength(0);

    /// <summary>How many items had true class <paramref name="actual"/> and were predicted <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>Items counted.</summary>
    public long Count => Enumerable.Range(0, Classes).Sum(Support);

    /// <summary>Items whose true class is <paramref name="actual"/> (the row's sum).</summary>
    public long Support(int actual) => Enumerable.Range(0, Classes).Sum(p => _counts[actual, p]);

    /// <summary>Fraction of all items predicted correctly (the diagonal over the total).</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Enumerable.Range(0, Classes).Sum(c => _counts[c, c]) / Count;

    /// <summary>Per true class, the fraction predicted correctly (recall); 0 for a class with no items.</summary>
    public IReadOnlyList<double> PerClassAccuracy =>
        [.. Enumerable.Range(0, Classes).Select(c => Support(c) == 0 ? 0 : (double)_counts[c, c] / Support(c))];

    /// <summary>A copy of the counts, rows = true class, columns = predicted class.</summary>
    public long[,] ToArray() => (long[,])_counts.Clone();
}
