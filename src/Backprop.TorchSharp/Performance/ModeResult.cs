namespace Backprop.Performance;

/// <summary>One mode's timings over the timed epochs.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="EpochSeconds">Wall-clock seconds of each timed epoch.</param>
/// <param name="RssMbPerEpoch">The process's resident memory (MB) after each timed epoch.</param>
/// <param name="Samples">Training samples per epoch.</param>
/// <param name="Steps">Training steps per epoch.</param>
/// <param name="ComputeBoundMsPerStep">The time a step's FLOPs take at the measured sgemm rate.</param>
public sealed record ModeResult(BenchMode Mode, IReadOnlyList<double> EpochSeconds, IReadOnlyList<double> RssMbPerEpoch, int Samples, int Steps, double ComputeBoundMsPerStep)
{
    /// <summary>The median epoch: robust to the odd epoch another process slowed down.</summary>
    public double SecondsPerEpoch => Median(EpochSeconds);

    /// <summary>Training samples per second at <see cref="SecondsPerEpoch"/>.</summary>
    public double SamplesPerSecond => Samples / SecondsPerEpoch;

    /// <summary>Milliseconds per training step at <see cref="SecondsPerEpoch"/>.</summary>
    public double MsPerStep => SecondsPerEpoch * 1000 / Steps;

    /// <summary>How many times the compute bound a step takes.</summary>
    public double TimesComputeBound => MsPerStep / ComputeBoundMsPerStep;

    /// <summary>Growth of resident memory from the second timed epoch to the last, in percent (0 with fewer than two epochs).</summary>
    public double RssGrowthPercent => RssMbPerEpoch.Count < 2 ? 0 : (RssMbPerEpoch[^1] - RssMbPerEpoch[1]) / RssMbPerEpoch[1] * 100;

    /// <summary>The median of <paramref name="xs"/>; NaN when empty.</summary>
    internal static double Median(IReadOnlyList<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }
}
