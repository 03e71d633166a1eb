namespace Backprop.Performance;

/// <summary>The final stage at one batch size: how the device's throughput grows with the batch.</summary>
/// <param name="BatchSize">Training batch size.</param>
/// <param name="SecondsPerEpoch">Median seconds per timed epoch.</param>
/// <param name="SamplesPerSecond">Training samples per second.</param>
public sealed record BatchSizeResult(int BatchSize, double SecondsPerEpoch, double SamplesPerSecond);
