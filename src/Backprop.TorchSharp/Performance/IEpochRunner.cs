namespace Backprop.Performance;

/// <summary>One <see cref="BenchMode"/>, set up and ready to train one more epoch each time it is asked.</summary>
internal interface IEpochRunner : IDisposable
{
    /// <summary>Trains one epoch; returns once the device has finished it.</summary>
    void RunEpoch();
}
