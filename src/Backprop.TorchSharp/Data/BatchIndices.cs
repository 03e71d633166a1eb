using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// The samples of one batch: <paramref name="Count"/> samples from position <paramref name="Start"/> of the epoch's order.
/// Unshuffled, <paramref name="Index"/> is <see langword="null"/> and the batch is the contiguous run [Start, Start + Count);
/// shuffled, <paramref name="Index"/> holds the samples' indices, (Count) int64, a view into the epoch's permutation.
/// </summary>
public readonly record struct BatchIndices(long Start, long Count, Tensor? Index)
{
    /// <summary>The samples' indices on the host (one read of <see cref="Index"/>): for tests and the lesson's per-sample collate.</summary>
    public long[] ToArray()
    {
        if (Index is not null)
        {
            using var host = Index.cpu();
            return host.data<long>().ToArray();
        }
        var indices = new long[Count];
        for (var i = 0; i < Count; i++) indices[i] = Start + i;
        return indices;
    }
}
