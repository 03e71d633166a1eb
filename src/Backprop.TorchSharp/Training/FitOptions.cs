namespace Backprop.Training;

/// <summary>Optional hooks and settings for <see cref="Fit"/>.</summary>
public sealed record FitOptions
{
    /// <summary>No hooks, epochs numbered from 0.</summary>
    public static FitOptions Default { get; } = new();

    /// <summary>The number of the first epoch (to resume a run: epochs are numbered FirstEpoch, FirstEpoch + 1, ...).</summary>
    public int FirstEpoch { get; init; }

    /// <summary>Called after every training batch; keep it cheap (read <see cref="BatchProgress.RunningLoss"/> only every k batches).</summary>
    public Action<BatchProgress>? OnBatch { get; init; }

    /// <summary>Called after every epoch; return <see langword="false"/> to stop training there.</summary>
    public Func<EpochResult, bool>? OnEpoch { get; init; }

    /// <summary>Checked between batches; when cancelled, <see cref="Fit"/> throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}
