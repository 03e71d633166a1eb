using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// The lesson's <c>BatchSampler</c>: cuts one epoch's order into batches of <see cref="Bs"/> samples; the last batch
/// is shorter, or dropped with <see cref="DropLast"/>. A batch is a contiguous run or a view into the epoch's
/// permutation (<see cref="BatchIndices"/>), never a list of per-sample indices.
/// </summary>
public sealed class BatchSampler : IEnumerable<BatchIndices>
{
    /// <summary>Batches of <paramref name="bs"/> samples in <paramref name="sampler"/>'s order.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bs"/> is not positive.</exception>
    public BatchSampler(Sampler sampler, int bs, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bs);
        (Sampler, Bs, DropLast) = (sampler, bs, dropLast);
    }

    /// <summary>The order the batches follow.</summary>
    public Sampler Sampler { get; }

    /// <summary>The batch size.</summary>
    public int Bs { get; }

    /// <summary>Whether a last, shorter batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>The number of batches in an epoch.</summary>
    public int Count => checked((int)(DropLast ? Sampler.Count / Bs : (Sampler.Count + Bs - 1) / Bs));

    /// <summary>
    /// One epoch's batches, with their indices on <paramref name="device"/>. The epoch's order is drawn now, on the calling
    /// thread, so a run's random draws do not depend on when or on which thread the batches are consumed.
    /// Each <see cref="BatchIndices.Index"/> belongs to the consumer; the permutation is released when the enumeration ends.
    /// </summary>
    public IEnumerable<BatchIndices> Epoch(Device? device = null) => Batches(Sampler.Order(device)?.DetachFromDisposeScope());

    /// <summary>One epoch's batches on the CPU (the lesson's <c>iter(batchs)</c>).</summary>
    public IEnumerator<BatchIndices> GetEnumerator() => Epoch().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<BatchIndices> Batches(Tensor? order)
    {
        using (order)
        {
            var n = Sampler.Count;
            for (long start = 0; start < n; start += Bs)
            {
                var count = Math.Min(Bs, n - start);
                if (count < Bs && DropLast) yield break;
                yield return new BatchIndices(start, count, order?.narrow(0, start, count));
            }
        }
    }
}
