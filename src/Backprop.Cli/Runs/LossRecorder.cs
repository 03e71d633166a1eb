using Backprop.Training;
using static TorchSharp.torch;

namespace Backprop.Cli.Runs;

/// <summary>
/// fastai's <c>Recorder</c>, for the loss: every training batch's loss, watched as an <see cref="ITrainObserver"/> in
/// front of the next one. Each batch's loss stays on the device, detached from the graph, until the epoch ends; then
/// they are stacked and come to the host in one read, and kept when the epoch's losses are finite, as the checkpoint
/// keeps it. No batch syncs the device.
/// </summary>
internal sealed class LossRecorder(ITrainObserver next) : ITrainObserver, IDisposable
{
    private readonly Dictionary<int, float[]> _losses = [];
    private readonly List<Tensor> _epoch = [];

    /// <summary>The batch losses of each epoch this run completed, by epoch number (from 1).</summary>
    public IReadOnlyDictionary<int, float[]> Losses => _losses;

    public void Started(TrainStart start) => next.Started(start);

    public void Batch(BatchProgress progress)
    {
        next.Batch(progress);
        _epoch.Add(progress.Loss.detach().DetachFromDisposeScope()); // the same storage, outliving the batch's scope
    }

    public void Validation(ValidationProgress progress) => next.Validation(progress);

    public void Epoch(EpochResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        next.Epoch(result);
        if (_epoch.Count > 0 && double.IsFinite(result.TrainLoss) && double.IsFinite(result.ValidLoss))
        {
            using var scope = NewDisposeScope();
            _losses[result.Epoch] = stack(_epoch).to_type(ScalarType.Float32).cpu().data<float>().ToArray();
        }
        Dispose();
    }

    /// <summary>Lets go of the losses of an epoch that did not end (an interrupted run's).</summary>
    public void Dispose()
    {
        foreach (var t in _epoch) t.Dispose();
        _epoch.Clear();
    }
}
