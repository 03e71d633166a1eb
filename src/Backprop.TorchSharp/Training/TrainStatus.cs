namespace Backprop.Training;

/// <summary>How a run ended.</summary>
public enum TrainStatus
{
    /// <summary>Every epoch was trained.</summary>
    Completed,

    /// <summary>The loss turned NaN or infinite; the checkpoint of the last good epoch was kept.</summary>
    Diverged,

    /// <summary>Cancelled (Ctrl+C) between batches; the checkpoint of the last complete epoch was kept.</summary>
    Interrupted,
}
