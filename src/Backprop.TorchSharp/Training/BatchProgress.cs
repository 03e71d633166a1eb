using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>
/// Where training is, after one batch, for <see cref="FitOptions.OnBatch"/>. Valid only during the callback.
/// </summary>
/// <param name="epoch">The epoch's number.</param>
/// <param name="batch">The batch just done, from 0.</param>
/// <param name="batchCount">Batches in the epoch.</param>
/// <param name="lossSum">The epoch's sum of batch losses so far, 0-dim, on the device.</param>
/// <param name="clock">Started when the epoch began.</param>
public readonly struct BatchProgress(int epoch, int batch, int batchCount, Tensor lossSum, Stopwatch clock)
{
    /// <summary>The epoch's number.</summary>
    public int Epoch => epoch;

    /// <summary>The batch just done, from 0.</summary>
    public int Batch => batch;

    /// <summary>Batches in the epoch.</summary>
    public int BatchCount => batchCount;

    /// <summary>
    /// The mean loss of this epoch's batches so far. It reads the device (a sync that stalls the pipeline), so call it every
    /// k batches (e.g. <c>if (p.Batch % 100 == 0)</c>), not on every batch.
    /// </summary>
    public double RunningLoss() => lossSum.ToDouble() / (batch + 1);

    /// <summary>Batches trained per second since the epoch began.</summary>
    public double BatchesPerSecond() => (batch + 1) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
}
