namespace Backprop.Training;

/// <summary>What a run is about to do, once its settings, device, data and folder are settled.</summary>
/// <param name="Settings">The settings in force.</param>
/// <param name="Device">The device, e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="DataSource">Where the data came from.</param>
/// <param name="Folder">The run folder.</param>
/// <param name="FirstEpoch">The first epoch to train, from 0 (above 0 when resuming).</param>
/// <param name="BatchesPerEpoch">Training batches per epoch.</param>
public sealed record TrainStart(TrainSettings Settings, string Device, string DataSource, RunFolder Folder, int FirstEpoch, int BatchesPerEpoch);
