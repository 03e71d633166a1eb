namespace Backprop.Cli.Bench;

/// <summary>
/// A ratio of two modes' epoch times with its spread: the median of the per-round quotients (each round times both modes
/// back to back, so they share whatever load the machine had then) and a distribution-free confidence interval for that
/// median from their order statistics. Between the k-th smallest and the k-th largest of n quotients the median lies with
/// probability 1 - 2·P(B &lt; k), B ~ Binomial(n, 1/2); k is the largest that keeps this at least <see cref="Level"/>.
/// </summary>
/// <param name="Median">The median quotient.</param>
/// <param name="Low">The interval's low end; <see langword="null"/> under <see cref="MinRounds"/> rounds.</param>
/// <param name="High">The interval's high end; <see langword="null"/> under <see cref="MinRounds"/> rounds.</param>
/// <param name="Confidence">The interval's coverage (0.979 for 10 rounds); 0 without one.</param>
/// <param name="Rounds">The rounds measured.</param>
internal sealed record RatioSpread(double Median, double? Low, double? High, double Confidence, int Rounds)
{
    /// <summary>The coverage an interval must reach.</summary>
    public const double Level = 0.95;

    /// <summary>The fewest rounds that give an interval at <see cref="Level"/> (from the smallest quotient to the largest, 96.9%).</summary>
    public const int MinRounds = 6;

    /// <summary>The spread of <c>of[i] / to[i]</c> over the rounds both were timed in.</summary>
    public static RatioSpread Of(IReadOnlyList<double> of, IReadOnlyList<double> to)
    {
        ArgumentNullException.ThrowIfNull(of);
        ArgumentNullException.ThrowIfNull(to);
        var n = Math.Min(of.Count, to.Count);
        var q = Enumerable.Range(0, n).Select(i => of[i] / to[i]).Order().ToArray();
        var median = ModeResult.Median(q);
        var (k, coverage) = Ranks(n);
        return k == 0 ? new(median, null, null, 0, n) : new(median, q[k - 1], q[n - k], coverage, n);
    }

    /// <summary>The rank k of the interval's ends for <paramref name="n"/> rounds (0: none reaches <see cref="Level"/>), and its coverage.</summary>
    internal static (int K, double Coverage) Ranks(int n)
    {
        var (k, coverage, tail) = (0, 0.0, 0.0);
        var logP = -n * Math.Log(2); // log P(B = 0), in logs so that thousands of rounds do not underflow
        for (var j = 0; j < n / 2; j++)
        {
            tail += Math.Exp(logP); // P(B <= j)
            if (1 - (2 * tail) < Level) break;
            (k, coverage) = (j + 1, 1 - (2 * tail));
            logP += Math.Log((double)(n - j) / (j + 1));
        }
        return (k, coverage);
    }

    /// <summary>
    /// Met or missed only when the whole interval is on one side of <paramref name="limit"/>; unclear when it holds the
    /// limit, or when there is no interval: a verdict that the machine's load could turn is not given.
    /// </summary>
    public Verdict Against(double limit, bool atMost) => (Low, High) switch
    {
        ({ } low, { } high) when atMost => high <= limit ? Verdict.Met : low > limit ? Verdict.Missed : Verdict.Unclear,
        ({ } low, { } high) => low >= limit ? Verdict.Met : high < limit ? Verdict.Missed : Verdict.Unclear,
        _ => Verdict.Unclear,
    };
}

/// <summary>How a ratio's spread stands against its target.</summary>
internal enum Verdict
{
    /// <summary>The whole interval meets the target.</summary>
    Met,

    /// <summary>The whole interval misses the target.</summary>
    Missed,

    /// <summary>The interval holds the target, or there are too few rounds for one.</summary>
    Unclear,
}
