using System.Collections;
using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// The lesson's <c>DataLoader</c>: yields an epoch of (xb, yb) batches of a <see cref="Dataset"/> in the order of a
/// <see cref="BatchSampler"/>, gathered by <see cref="Collate.Gather"/> (a view or one <c>index_select</c> per tensor).
/// </summary>
/// <remarks>
/// <para>Device: batches are gathered where the dataset lives. Given a <c>device</c> the dataset is not on, the loader
/// copies the whole dataset there once, when it is built (the loader owns that copy: dispose the loader), so each batch
/// is gathered on the device with no per-batch transfer.</para>
/// <para>Lifetime: a batch lives until the loader is asked for the next one; the last batch is released when the epoch
/// ends. Keep a batch past that with <c>clone()</c>. A batch you <c>break</c> out with (or take with <c>First()</c>) stays yours.
/// Do not materialise an epoch (<c>ToList()</c>): its batches would be released.</para>
/// <para>Prefetch (the lesson's multi-worker loader): with <c>prefetch</c> &gt; 0 a background thread gathers up to that
/// many batches ahead. The epoch's order is still drawn on the consuming thread, so the batches are exactly those of the
/// single-threaded loader.</para>
/// <para>Random draws: every epoch starts with one draw from the sampler's generator (torch's default one when it has
/// none), where PyTorch's loader draws the base seed of its workers, then the sampler's own draws. A run seeded with
/// <c>torch.manual_seed</c> therefore takes from the random stream what the same PyTorch program takes, and its
/// shuffled batches are PyTorch's.</para>
/// </remarks>
public sealed class DataLoader : IEnumerable<(Tensor xb, Tensor yb)>, IDisposable
{
    private readonly Dataset? _owned;

    /// <summary>A loader over <paramref name="ds"/> in the batches of <paramref name="batchs"/>.</summary>
    /// <param name="ds">The samples.</param>
    /// <param name="batchs">The batches; its sampler must cover exactly the samples of <paramref name="ds"/>.</param>
    /// <param name="device">Where batches land; <see langword="null"/> for the dataset's device.</param>
    /// <param name="prefetch">How many batches a background thread prepares ahead; 0 (the default) for none.</param>
    public DataLoader(Dataset ds, BatchSampler batchs, Device? device = null, int prefetch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        if (batchs.Sampler.Count != ds.Count)
            throw new ArgumentException($"the batch sampler covers {batchs.Sampler.Count} samples but the dataset holds {ds.Count}", nameof(batchs));
        if (device is not null && !ds.IsOn(device))
        {
            _owned = ds.To(device);
            _owned.X.DetachFromDisposeScope();
            _owned.Y.DetachFromDisposeScope();
            ds = _owned;
        }
        (Dataset, Batchs, Prefetch) = (ds, batchs, prefetch);
    }

    /// <summary>A loader with batches of <paramref name="bs"/>, shuffled or not (PyTorch's <c>DataLoader(ds, batch_size, shuffle, drop_last)</c>).</summary>
    /// <param name="ds">The samples.</param>
    /// <param name="bs">The batch size.</param>
    /// <param name="shuffle">A new random order every epoch, drawn from <paramref name="generator"/> or torch's default generator.</param>
    /// <param name="dropLast">Drop a last, shorter batch.</param>
    /// <param name="device">Where batches land; <see langword="null"/> for the dataset's device.</param>
    /// <param name="generator">The generator that shuffles; <see langword="null"/> for torch's default (seeded by <c>torch.manual_seed</c>).</param>
    /// <param name="prefetch">How many batches a background thread prepares ahead; 0 (the default) for none.</param>
    public DataLoader(Dataset ds, int bs, bool shuffle = false, bool dropLast = false, Device? device = null, Generator? generator = null, int prefetch = 0)
        : this(ds, new BatchSampler(new Sampler(ds.Count, shuffle, generator), bs, dropLast), device, prefetch) { }

    /// <summary>The samples, on the device batches land on.</summary>
    public Dataset Dataset { get; }

    /// <summary>The batches of an epoch.</summary>
    public BatchSampler Batchs { get; }

    /// <summary>How many batches a background thread prepares ahead (0: none).</summary>
    public int Prefetch { get; }

    /// <summary>The device batches land on.</summary>
    public Device Device => Dataset.Device;

    /// <summary>The number of batches in an epoch.</summary>
    public int Count => Batchs.Count;

    /// <summary>One epoch of (xb (bs, ...), yb (bs)) batches; each enumeration is a new epoch (and a new order when shuffled).</summary>
    public IEnumerator<(Tensor xb, Tensor yb)> GetEnumerator() => (Prefetch == 0 ? Batches() : Prefetched()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Releases the device copy of the dataset, if the loader made one.</summary>
    public void Dispose()
    {
        _owned?.X.Dispose();
        _owned?.Y.Dispose();
    }

    private IEnumerable<(Tensor xb, Tensor yb)> Batches()
    {
        (Tensor xb, Tensor yb)? current = null;
        foreach (var b in NewEpoch())
        {
            Release(current);
            current = Gather(b);
            yield return current.Value;
        }
        Release(current);
    }

    private IEnumerable<(Tensor xb, Tensor yb)> Prefetched()
    {
        var epoch = NewEpoch(); // drawn here, on the consuming thread
        using var queue = new BlockingCollection<(Tensor xb, Tensor yb)>(Prefetch);
        using var stop = new CancellationTokenSource();
        var producer = Task.Factory.StartNew(() => Produce(epoch, queue, stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        (Tensor xb, Tensor yb)? current = null;
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable())
            {
                Release(current);
                current = batch;
                yield return batch;
            }
            producer.GetAwaiter().GetResult(); // surfaces a failure of the producer
            Release(current);
        }
        finally
        {
            stop.Cancel();
            Task.WaitAny(producer);
            while (queue.TryTake(out var left)) Release(left);
        }
    }

    // An epoch's random draws, in PyTorch's order: the base seed of its workers (unused here), then the sampler's.
    private IEnumerable<BatchIndices> NewEpoch()
    {
        TorchSeed.Draw(Batchs.Sampler.Generator);
        return Batchs.Epoch(Device);
    }

    private void Produce(IEnumerable<BatchIndices> epoch, BlockingCollection<(Tensor xb, Tensor yb)> queue, CancellationToken stop)
    {
        try
        {
            foreach (var b in epoch)
            {
                var batch = Gather(b);
                try
                {
                    queue.Add(batch, stop);
                }
                catch (OperationCanceledException)
                {
                    Release(batch);
                    return;
                }
            }
        }
        finally
        {
            queue.CompleteAdding();
        }
    }

    private (Tensor xb, Tensor yb) Gather(BatchIndices b)
    {
        var batch = Collate.Gather(Dataset, b);
        b.Index?.Dispose();
        return batch;
    }

    private static void Release((Tensor xb, Tensor yb)? batch)
    {
        if (batch is not { } b) return;
        b.xb.Dispose();
        b.yb.Dispose();
    }
}

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
