namespace Backprop.Training;

/// <summary>How a run ended and what it left behind.</summary>
/// <param name="Status">Completed, diverged or interrupted.</param>
/// <param name="Settings">The settings in force.</param>
/// <param name="History">Every good epoch of the run, including those of a resumed checkpoint.</param>
/// <param name="Folder">The run folder.</param>
/// <param name="Files">The files written, checkpoint first.</param>
/// <param name="Failed">The epoch whose loss was not finite, when <paramref name="Status"/> is <see cref="TrainStatus.Diverged"/>.</param>
public sealed record TrainOutcome(TrainStatus Status, TrainSettings Settings, IReadOnlyList<EpochResult> History, RunFolder Folder,
    IReadOnlyList<string> Files, EpochResult? Failed = null);
