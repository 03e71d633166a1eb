namespace Backprop.Cli.Display;

/// <summary>
/// How long the current epoch and the whole run have left, from what this run has measured so far: seconds per training
/// batch, seconds per validation batch and, once an epoch has ended, whole epochs (their checkpoint and metrics writes
/// included). Times are seconds since the run started, given by the caller, so the estimate depends on its inputs only.
/// </summary>
/// <param name="epochs">Epochs this run trains (after a resume, those left).</param>
/// <param name="trainBatches">Training batches per epoch.</param>
/// <param name="validBatches">Validation batches per epoch.</param>
internal sealed class Eta(int epochs, int trainBatches, int validBatches)
{
    /// <summary>
    /// A validation batch's cost in training batches until one is timed: it holds twice the samples (the lesson's
    /// <c>get_dls</c>) and runs the forward pass only, about a third of a training step's work per sample.
    /// </summary>
    public const double ValidPerTrainBatch = 2.0 / 3;

    private double _epochStart;
    private double _last; // when the last batch (or epoch) ended
    private int _epochsDone;
    private double _epochsSeconds;
    private (long Batches, double Seconds) _train; // every batch timed so far, the current epoch's included
    private (long Batches, double Seconds) _valid;
    private double _first; // the run's first training batch, which also pays for warming up (JIT, allocator): left out of the mean once others are timed
    private (int Train, int Valid) _now; // batches done in the current epoch

    /// <summary>The current epoch's training batch <paramref name="done"/> (from 1) ended at <paramref name="at"/>.</summary>
    public void Train(int done, double at)
    {
        if (_train.Batches == 0) _first = at - _last;
        _train = (_train.Batches + done - _now.Train, _train.Seconds + at - _last);
        (_now.Train, _last) = (done, at);
    }

    /// <summary>The current epoch's validation batch <paramref name="done"/> (from 1) ended at <paramref name="at"/>.</summary>
    public void Valid(int done, double at)
    {
        _valid = (_valid.Batches + done - _now.Valid, _valid.Seconds + at - _last);
        (_now.Valid, _last) = (done, at);
    }

    /// <summary>The current epoch ended at <paramref name="at"/>; the next one starts there.</summary>
    public void EpochEnded(double at)
    {
        _epochsDone++;
        _epochsSeconds += at - _epochStart;
        (_epochStart, _last, _now) = (at, at, (0, 0));
    }

    /// <summary>The time left in the current epoch and in the run; <see langword="null"/> before the first batch is timed.</summary>
    public (TimeSpan Epoch, TimeSpan Run)? Left()
    {
        if (_train.Batches == 0) return null;
        var perTrain = _train.Batches > 1 ? (_train.Seconds - _first) / (_train.Batches - 1) : _train.Seconds;
        var perValid = _valid.Batches > 0 ? _valid.Seconds / _valid.Batches : perTrain * ValidPerTrainBatch;
        var epoch = (trainBatches - _now.Train) * perTrain + (validBatches - _now.Valid) * perValid;
        var perEpoch = _epochsDone > 0 ? _epochsSeconds / _epochsDone : (trainBatches * perTrain) + (validBatches * perValid);
        var run = epoch + (Math.Max(epochs - _epochsDone - 1, 0) * perEpoch);
        return (Seconds(epoch), Seconds(run));
    }

    /// <summary><c>ETA epoch 0:01, run 0:10</c>; empty before the first batch is timed.</summary>
    public string Describe() => Left() is var (epoch, run) ? $"ETA epoch {Clock(epoch)}, run {Clock(run)}" : "";

    private static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(Math.Max(s, 0));

    /// <summary>m:ss, or h:mm:ss from an hour.</summary>
    public static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{(int)t.TotalMinutes}:{t:ss}";
}
