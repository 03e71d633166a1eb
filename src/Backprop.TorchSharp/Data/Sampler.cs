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
