using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// The lesson's <c>Dataset</c>: pairs inputs with targets and indexes both at once (<c>ds[i]</c>, <c>ds[0..5]</c>, <c>ds[idx]</c>).
/// </summary>
/// <remarks>
/// The dataset does not own its tensors (like the lesson's, it only pairs them); <see cref="To"/> makes a copy the caller owns.
/// Every indexer returns tensors the caller owns: views for an int or a range, fresh tensors for an index tensor.
/// </remarks>
/// <param name="x">Inputs, (N, ...), e.g. (50000, 784) float32.</param>
/// <param name="y">Targets, (N, ...), e.g. (50000) int64.</param>
public sealed class Dataset(Tensor x, Tensor y)
{
    /// <summary>Inputs, (N, ...).</summary>
    public Tensor X { get; } = x.shape.Length > 0 && y.shape.Length > 0 && x.shape[0] == y.shape[0]
        ? x
        : throw new ArgumentException($"x and y must have the same number of samples along dimension 0: x is ({string.Join(", ", x.shape)}), y is ({string.Join(", ", y.shape)})", nameof(y));

    /// <summary>Targets, (N, ...).</summary>
    public Tensor Y { get; } = y;

    /// <summary>The number of samples, N (the lesson's <c>len(ds)</c>).</summary>
    public long Count => X.shape[0];

    /// <summary>The device the tensors live on (that of <see cref="X"/>).</summary>
    public Device Device => X.device;

    /// <summary>Sample <paramref name="i"/>: x (...) and y (...), views into the dataset.</summary>
    public (Tensor x, Tensor y) this[long i] =>
        i >= 0 && i < Count ? (X[i], Y[i]) : throw new ArgumentOutOfRangeException(nameof(i), i, $"the dataset holds {Count} samples");

    /// <summary>Samples in <paramref name="range"/> (the lesson's <c>ds[0:5]</c>): xb (n, ...) and yb (n), views, no copy.</summary>
    public (Tensor xb, Tensor yb) this[Range range]
    {
        get
        {
            var (start, length) = range.GetOffsetAndLength(checked((int)Count));
            return Slice(start, length);
        }
    }

    /// <summary>
    /// Samples at <paramref name="idx"/>, (n) int64 or int32 on the dataset's device: xb (n, ...) and yb (n),
    /// gathered with one <c>index_select</c> per tensor.
    /// </summary>
    public (Tensor xb, Tensor yb) this[Tensor idx]
    {
        get
        {
            if (idx.dim() != 1 || idx.dtype is not (ScalarType.Int64 or ScalarType.Int32))
                throw new ArgumentException($"an index tensor must be one-dimensional int64 or int32; got {idx.dtype} ({string.Join(", ", idx.shape)})", nameof(idx));
            return (X.index_select(0, idx), Y.index_select(0, idx));
        }
    }

    /// <summary>The <paramref name="length"/> samples from <paramref name="start"/>: views, no copy (what an unshuffled batch is).</summary>
    public (Tensor xb, Tensor yb) Slice(long start, long length) => (X.narrow(0, start, length), Y.narrow(0, start, length));

    /// <summary>A copy of the dataset on <paramref name="device"/>, moved in one transfer per tensor; the caller owns (and disposes) its tensors.</summary>
    public Dataset To(Device device) => new(X.to(device, copy: true), Y.to(device, copy: true));

    /// <summary>Whether the tensors already live on <paramref name="device"/> (<c>cuda</c> matches <c>cuda:0</c>).</summary>
    public bool IsOn(Device device) => DeviceChoice.Same(Device, device);
}

/// <summary>A training and a validation loader, as the lesson's <c>get_dls</c> returns them. Disposing it disposes both.</summary>
/// <param name="Train">The training batches (shuffled by <see cref="GetDls"/>).</param>
/// <param name="Valid">The validation batches (twice the batch size, in order).</param>
public sealed record DataLoaders(DataLoader Train, DataLoader Valid) : IDisposable
{
    /// <summary>
    /// The lesson's <c>get_dls</c>: training batches of <paramref name="bs"/>, shuffled every epoch, and validation batches
    /// of 2 × <paramref name="bs"/> in order (validation keeps no activations for backward, so it fits twice the batch).
    /// </summary>
    /// <param name="trainDs">The training samples.</param>
    /// <param name="validDs">The validation samples.</param>
    /// <param name="bs">The training batch size.</param>
    /// <param name="device">Where batches land (the datasets are copied there once); <see langword="null"/> for where they are.</param>
    /// <param name="generator">The generator that shuffles; <see langword="null"/> for torch's default (seeded by <c>torch.manual_seed</c>).</param>
    /// <param name="prefetch">How many batches a background thread prepares ahead; 0 (the default) for none.</param>
    public static DataLoaders GetDls(Dataset trainDs, Dataset validDs, int bs, Device? device = null, Generator? generator = null, int prefetch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bs);
        var train = new DataLoader(trainDs, bs, shuffle: true, device: device, generator: generator, prefetch: prefetch);
        try
        {
            return new DataLoaders(train, new DataLoader(validDs, checked(bs * 2), device: device, prefetch: prefetch));
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Train.Dispose();
        Valid.Dispose();
    }
}
