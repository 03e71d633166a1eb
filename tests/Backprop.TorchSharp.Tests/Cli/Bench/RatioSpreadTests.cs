using Backprop.Cli.Bench;

namespace Backprop.Tests.Cli.Bench;

/// <summary>The spread of a ratio and the verdict against its target, on given samples (never on timings measured here).</summary>
public sealed class RatioSpreadTests
{
    [Theory]
    [InlineData(5, 0, 0.0)] // 1 - 2/32 = 0.9375: no interval reaches 95%
    [InlineData(6, 1, 1 - (2.0 / 64))] // the smallest to the largest
    [InlineData(10, 2, 1 - (2.0 * 11 / 1024))] // the 2nd smallest to the 2nd largest: 97.85%
    [InlineData(20, 6, 1 - (2.0 * 21700 / 1048576))] // P(B <= 5) = (1 + 20 + 190 + 1140 + 4845 + 15504) / 2^20: 0.9586
    public void The_interval_is_the_widest_order_statistics_that_reach_95_percent(int rounds, int k, double coverage)
    {
        var (rank, cover) = RatioSpread.Ranks(rounds);

        Assert.Equal(k, rank);
        Assert.Equal(coverage, cover, 12);
    }

    [Fact]
    public void Thousands_of_rounds_do_not_underflow()
    {
        var (k, coverage) = RatioSpread.Ranks(10_000);

        Assert.InRange(k, 4900, 4902); // about n/2 - 1.96·sqrt(n)/2
        Assert.InRange(coverage, 0.95, 0.96);
    }

    [Fact]
    public void The_ratio_is_the_median_of_the_per_round_quotients_and_the_ends_are_their_order_statistics()
    {
        // 10 rounds: one round where the machine slowed "of" alone (quotient 3), one where it slowed "to" alone (0.5).
        double[] to = [1, 1, 1, 1, 1, 1, 1, 1, 1, 2];
        double[] of = [1.00, 1.02, 1.04, 1.06, 1.08, 1.10, 1.12, 1.14, 3.00, 1.00];

        var s = RatioSpread.Of(of, to);

        Assert.Equal((1.06 + 1.08) / 2, s.Median, 12);
        Assert.Equal(1.00, s.Low!.Value, 12); // 2nd smallest of 0.5, 1.00, 1.02, ...: the outliers fall outside
        Assert.Equal(1.14, s.High!.Value, 12);
        Assert.Equal(10, s.Rounds);
    }

    [Theory]
    [InlineData(0.85, 0.95, 1.10, true, "met")]
    [InlineData(1.05, 1.15, 1.10, true, "unclear")] // the interval holds the target: a busy machine could turn it
    [InlineData(1.12, 1.30, 1.10, true, "missed")]
    [InlineData(1.10, 1.20, 1.10, true, "unclear")]
    [InlineData(2.10, 2.40, 2.00, false, "met")]
    [InlineData(1.80, 2.30, 2.00, false, "unclear")] // issue 26's busy machine: 1.84 alone was no verdict
    [InlineData(1.70, 1.90, 2.00, false, "missed")]
    public void Only_an_interval_clear_of_the_target_decides(double low, double high, double limit, bool atMost, string expected)
    {
        Assert.Equal(expected, new RatioSpread((low + high) / 2, low, high, 0.97, 10).Against(limit, atMost).ToString().ToLowerInvariant());
    }

    [Fact]
    public void Without_an_interval_there_is_no_verdict()
    {
        var s = RatioSpread.Of([1.5, 1.5, 1.5], [1, 1, 1]);

        Assert.Null(s.Low);
        Assert.Equal(Verdict.Unclear, s.Against(1.10, atMost: true)); // 1.5 is far above, but 3 rounds say little
    }

    [Fact]
    public void The_report_fails_the_check_only_for_a_missed_target()
    {
        static ModeResult Mode(BenchMode m, params double[] seconds) => new(m, seconds, [.. seconds.Select(_ => 500.0)], 50_000, 1000, 0.15);
        double[] raw = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        var unclear = new BenchReport(new BenchOptions(), "cpu", 1, 50,
            [Mode(BenchMode.Raw, raw), Mode(BenchMode.Final, 1.00, 1.05, 1.08, 1.09, 1.10, 1.11, 1.12, 1.13, 1.15, 1.20)], []);
        var missed = unclear with { Modes = [Mode(BenchMode.Raw, raw), Mode(BenchMode.Final, 1.20, 1.21, 1.22, 1.23, 1.24, 1.25, 1.26, 1.27, 1.28, 1.29)] };

        Assert.Equal(Verdict.Unclear, Assert.Single(unclear.Checks).Verdict);
        Assert.True(unclear.MeetsTargets);
        Assert.Equal(Verdict.Missed, Assert.Single(missed.Checks).Verdict);
        Assert.False(missed.MeetsTargets);
        Assert.Contains(missed.Format(targets: true), l => l.StartsWith("final_vs_raw", StringComparison.Ordinal) && l.EndsWith("(1.210 to 1.280, 98% interval of 10 rounds)  target <= 1.10  missed", StringComparison.Ordinal));
    }
}
