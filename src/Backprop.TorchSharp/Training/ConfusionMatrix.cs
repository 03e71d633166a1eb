using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// Counts of (true class, predicted class) pairs: row = the true digit, column = the prediction. The diagonal holds
/// the correct predictions; everything else is a confusion.
/// </summary>
public sealed class ConfusionMatrix
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
