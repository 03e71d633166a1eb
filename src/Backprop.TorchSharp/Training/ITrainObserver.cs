namespace Backprop.Training;

/// <summary>Watches a <see cref="TrainRun"/>: the console runner's live display, a test's recorder.</summary>
public interface ITrainObserver
{
    /// <summary>Called once, before the first epoch.</summary>
    void Started(TrainStart start);

    /// <summary>Called after every training batch (see <see cref="BatchProgress.RunningLoss"/> for what reading the loss costs).</summary>
    void Batch(BatchProgress progress);

    /// <summary>Called after every epoch, including one whose loss is not finite.</summary>
    void Epoch(EpochResult result);
}
