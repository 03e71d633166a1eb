using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// The lesson's <c>Sampler</c>: the order in which one epoch visits N samples. Shuffled, every epoch draws a new
/// permutation from torch's random generator, so <c>torch.manual_seed</c> (or a seeded <see cref="torch.Generator"/>)
/// makes a run reproducible; unshuffled, the order is 0, 1, ..., N-1.
/// </summary>
/// <remarks>
/// The draws are those of PyTorch's <c>RandomSampler</c>: with a generator of its own, <c>torch.randperm(n, generator=g)</c>;
/// with torch's default one, a seed drawn from it (<see cref="TorchSeed.Draw"/>) for a fresh generator that draws the
/// permutation. With the same seed, an epoch visits the samples in the order PyTorch's would.
/// </remarks>
public sealed class Sampler : IEnumerable<long>
{
    /// <summary>A sampler over <paramref name="n"/> samples.</summary>
    /// <param name="n">The number of samples, N.</param>
    /// <param name="shuffle">Draw a new random order every epoch.</param>
    /// <param name="generator">The generator to draw from; <see langword="null"/> for torch's default (seeded by <c>torch.manual_seed</c>). A CPU generator.</param>
    public Sampler(long n, bool shuffle = false, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        (Count, Shuffle, Generator) = (n, shuffle, generator);
    }

    /// <summary>A sampler over the samples of <paramref name="ds"/> (the lesson's <c>Sampler(ds, shuffle)</c>).</summary>
    public Sampler(Dataset ds, bool shuffle = false, Generator? generator = null) : this(ds.Count, shuffle, generator) { }

    /// <summary>The number of samples, N.</summary>
    public long Count { get; }

    /// <summary>Whether every epoch gets a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>The generator it draws from; <see langword="null"/> for torch's default.</summary>
    public Generator? Generator { get; }

    /// <summary>
    /// One epoch's order: a new permutation of 0..N-1, (N) int64 on <paramref name="device"/> (drawn on the CPU, then moved),
    /// or <see langword="null"/> when not shuffled (the identity: batches are contiguous runs). The caller owns the tensor.
    /// </summary>
    public Tensor? Order(Device? device = null)
    {
        if (!Shuffle) return null;
        var perm = Generator is null ? FromDefault(Count) : randperm(Count, generator: Generator);
        return device is null || device.type == DeviceType.CPU ? perm : perm.to(device, disposeAfter: true);
    }

    /// <summary>The indices of one epoch, one by one (the lesson's <c>iter(sampler)</c>); each enumeration is a new epoch.</summary>
    public IEnumerator<long> GetEnumerator()
    {
        using var order = Order();
        if (order is null)
        {
            for (long i = 0; i < Count; i++) yield return i;
            yield break;
        }
        foreach (var i in order.data<long>().ToArray()) yield return i;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static Tensor FromDefault(long n)
    {
        using var g = new Generator((ulong)TorchSeed.Draw());
        return randperm(n, generator: g);
    }
}

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

/// <summary>
/// PyTorch's <c>int(torch.empty((), dtype=torch.int64).random_(generator=g).item())</c>: one 64-bit draw from a torch
/// generator, in [0, 2^63). PyTorch's <c>DataLoader</c> and <c>RandomSampler</c> seed themselves this way, so drawing
/// the same numbers at the same moments keeps a C# run on the random stream of the PyTorch program it ports.
/// </summary>
public static class TorchSeed
{
    // TorchSharp's random_ takes a [from, to) range. [-2^62, 2^62) is 2^63 wide, so ATen draws one random64() and
    // returns random64() % 2^63 - 2^62: the plain random_()'s random64() % 2^63, shifted by 2^62.
    private const long Half = 1L << 62;

    /// <summary>One draw from <paramref name="generator"/>, or from torch's default generator (seeded by <c>torch.manual_seed</c>).</summary>
    /// <returns>A seed in [0, 2^63): what PyTorch's <c>random_()</c> returns for an int64 tensor from the same generator state.</returns>
    public static long Draw(Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var t = empty([], ScalarType.Int64).random_(-Half, Half, generator);
        return t.item<long>() + Half;
    }
}
