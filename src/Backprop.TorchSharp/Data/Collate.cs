using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>Turns the indices of a batch into the batch's tensors (the lesson's <c>collate</c>).</summary>
public static class Collate
{
    /// <summary>
    /// The hot path: batch <paramref name="b"/> of <paramref name="ds"/> as xb (n, ...) and yb (n), on the dataset's device.
    /// A contiguous batch is a pair of views (no copy); a shuffled one is one <c>index_select</c> per tensor.
    /// </summary>
    public static (Tensor xb, Tensor yb) Gather(Dataset ds, BatchIndices b) =>
        b.Index is null ? ds.Slice(b.Start, b.Count) : ds[b.Index];

    /// <summary>
    /// The lesson's collate: stacks per-sample (x, y) pairs into xb (n, ...) and yb (n). One op per sample, so it is
    /// here to show what <see cref="Gather"/> replaces (and to test that both give the same batch), not for training.
    /// </summary>
    public static (Tensor xb, Tensor yb) Stack(IEnumerable<(Tensor x, Tensor y)> samples)
    {
        var list = samples.ToList();
        if (list.Count == 0) throw new ArgumentException("a batch needs at least one sample", nameof(samples));
        return (stack(list.Select(s => s.x)), stack(list.Select(s => s.y)));
    }
}
