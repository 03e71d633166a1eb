using static TorchSharp.torch;

namespace Backprop.Data;

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
