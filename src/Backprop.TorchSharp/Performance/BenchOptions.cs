namespace Backprop.Performance;

/// <summary>What <see cref="EpochBench"/> measures: the lesson's 784-50-10 with bs 50 by default.</summary>
/// <param name="Epochs">Timed epochs per mode, after the warm-up.</param>
/// <param name="Warmup">Untimed epochs per mode first (JIT, allocator, caches).</param>
/// <param name="BatchSize">Training batch size.</param>
/// <param name="Hidden">Hidden units.</param>
/// <param name="Samples">Training samples per epoch: the first <c>Samples</c> of the training split; <see langword="null"/> for all 50,000.</param>
/// <param name="Modes">The modes to time; <see langword="null"/> for all.</param>
public sealed record BenchOptions(int Epochs = 10, int Warmup = 1, int BatchSize = 50, int Hidden = 50, int? Samples = null, IReadOnlyList<BenchMode>? Modes = null)
{
    /// <summary>Checks every value and names the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public BenchOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegative(Warmup, nameof(Warmup));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        if (Samples is { } s) ArgumentOutOfRangeException.ThrowIfLessThan(s, BatchSize, nameof(Samples));
        return this;
    }

    /// <summary>Multiply-adds × 2 of one training step: forward (two matmuls), backward (dW1, dW2 and the hidden layer's gradient).</summary>
    public double FlopsPerStep => 2.0 * BatchSize * ((2.0 * 784 * Hidden) + (3.0 * Hidden * 10));
}
