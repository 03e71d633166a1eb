using System.Text.Json;
using Backprop.Cli.Bench;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Bench;

/// <summary>The bench's bookkeeping on real data at a tiny size; what it measures is never asserted (no timing in unit tests).</summary>
[Collection(MnistGroup.Name)]
public sealed class EpochBenchTests(MnistFixture data)
{
    private static readonly BenchOptions Tiny = new(Epochs: 3, Warmup: 1, Samples: 500);

    [Fact]
    public void Every_mode_yields_finite_positive_figures_and_one_rss_value_per_epoch()
    {
        var report = EpochBench.Run(data.Mnist, Tiny);

        Assert.Equal(BenchModes.All, report.Modes.Select(m => m.Mode));
        foreach (var m in report.Modes)
        {
            Assert.Equal(3, m.EpochSeconds.Count);
            Assert.Equal(3, m.RssMbPerEpoch.Count);
            Assert.All(m.EpochSeconds, s => Assert.True(s > 0 && double.IsFinite(s)));
            Assert.All(m.RssMbPerEpoch, r => Assert.InRange(r, 1, 1e6));
            Assert.Equal(500, m.Samples);
            Assert.Equal(10, m.Steps);
            Assert.Equal(m.EpochSeconds.Order().ElementAt(1), m.SecondsPerEpoch); // the middle one of 3 (figures from it: below)
        }
        Assert.True(report.SgemmGflops > 0);
        Assert.Empty(report.BatchSizes);
    }

    [Fact]
    public void The_json_has_each_mode_the_ratios_and_they_are_the_quotients_of_the_entries()
    {
        using var dir = new TempDir();
        var report = EpochBench.Run(data.Mnist, Tiny, batchSizes: [25, 500]);

        report.WriteJson(dir.File("b.json"));

        using var doc = JsonDocument.Parse(File.ReadAllText(dir.File("b.json")));
        var root = doc.RootElement;
        foreach (var mode in new[] { "raw", "final", "shuffled", "torchsharp_loader", "manual" })
        {
            var entry = root.GetProperty(mode);
            Assert.True(entry.GetProperty("seconds_per_epoch").GetDouble() > 0);
            Assert.True(entry.GetProperty("samples_per_second").GetDouble() > 0);
            Assert.Equal(3, entry.GetProperty("rss_mb_per_epoch").GetArrayLength());
        }
        double[] Epochs(string mode) => [.. root.GetProperty(mode).GetProperty("epoch_seconds").EnumerateArray().Select(e => e.GetDouble())];
        var ratios = root.GetProperty("ratios");
        Assert.Equal(["final_vs_raw", "shuffled_vs_raw", "manual_vs_raw", "torchsharp_loader_vs_final"], ratios.EnumerateObject().Select(p => p.Name));
        foreach (var (name, of, to) in new[] { ("final_vs_raw", "final", "raw"), ("manual_vs_raw", "manual", "raw"), ("torchsharp_loader_vs_final", "torchsharp_loader", "final") })
        {
            // Of the file's own epochs: within the rounds' quotients (how it is taken from them: the hand-made report below).
            var quotients = Epochs(of).Zip(Epochs(to), (a, b) => a / b).ToArray();
            Assert.InRange(ratios.GetProperty(name).GetDouble(), quotients.Min() - 1e-12, quotients.Max() + 1e-12);
            Assert.Equal(report.Ratios[name], ratios.GetProperty(name).GetDouble());
        }
        var spread = root.GetProperty("ratio_spreads").GetProperty("torchsharp_loader_vs_final");
        Assert.Equal(JsonValueKind.Null, spread.GetProperty("low").ValueKind); // 3 rounds give no interval
        Assert.Equal(">= 2.00", spread.GetProperty("target").GetString());
        Assert.Equal("unclear", spread.GetProperty("verdict").GetString());
        Assert.Equal([25, 500], root.GetProperty("batch_sizes").EnumerateArray().Select(b => b.GetProperty("batch_size").GetInt32()));
        Assert.Equal(Tiny.FlopsPerStep, root.GetProperty("machine").GetProperty("flops_per_step").GetDouble());
    }

    [Fact]
    public void A_mode_s_figures_come_from_its_median_epoch()
    {
        var m = new ModeResult(BenchMode.Raw, [0.5, 0.25, 1.0], [100, 110, 121], Samples: 500, Steps: 10, ComputeBoundMsPerStep: 2);

        Assert.Equal(0.5, m.SecondsPerEpoch);      // the median, not the mean (0.583)
        Assert.Equal(1000, m.SamplesPerSecond, 9); // 500 images in 0.5 s
        Assert.Equal(50, m.MsPerStep, 9);          // 10 steps in 500 ms
        Assert.Equal(25, m.TimesComputeBound, 9);  // 50 ms a step against 2 ms
        Assert.Equal(10, m.RssGrowthPercent, 9);   // 110 MB to 121 MB, from the second timed epoch on
    }

    [Fact]
    public void Each_ratio_is_the_median_of_its_per_round_quotients_not_the_quotient_of_the_medians()
    {
        static ModeResult Mode(BenchMode mode, double[] seconds) => new(mode, seconds, [100, 100, 100], 500, 10, 1);
        var report = new BenchReport(new BenchOptions(), "cpu", 1, 50,
        [
            Mode(BenchMode.Raw, [1, 2, 4]),
            Mode(BenchMode.Final, [1.5, 2, 8]),             // quotients to raw 1.5, 1, 2: 1.5 (the medians' quotient would be 1)
            Mode(BenchMode.Shuffled, [1.1, 2.4, 4]),        // 1.1, 1.2, 1: 1.1
            Mode(BenchMode.TorchSharpLoader, [3, 5, 8]),    // to final 2, 2.5, 1: 2
            Mode(BenchMode.Manual, [1, 3, 5]),              // 1, 1.5, 1.25: 1.25
        ], []);

        using var doc = JsonDocument.Parse(report.ToJson());
        var ratios = doc.RootElement.GetProperty("ratios");

        Assert.Equal(1.5, ratios.GetProperty("final_vs_raw").GetDouble(), 12);
        Assert.Equal(1.1, ratios.GetProperty("shuffled_vs_raw").GetDouble(), 12);
        Assert.Equal(1.25, ratios.GetProperty("manual_vs_raw").GetDouble(), 12);
        Assert.Equal(2, ratios.GetProperty("torchsharp_loader_vs_final").GetDouble(), 12);
        Assert.Equal(250, doc.RootElement.GetProperty("raw").GetProperty("samples_per_second").GetDouble(), 9); // 500 images in its median epoch, 2 s
    }

    [Fact]
    public void A_step_of_784_50_10_at_bs_50_is_about_8_mflop()
    {
        // forward 2·50·(784·50 + 50·10), backward 2·50·(784·50 + 2·50·10): the issue's "about 8 MFLOP per step".
        Assert.Equal(7_990_000, new BenchOptions().FlopsPerStep);
    }

    [Fact]
    public void The_text_report_names_every_mode_and_every_target()
    {
        var report = EpochBench.Run(data.Mnist, Tiny with { Modes = [BenchMode.Raw, BenchMode.Final] });
        var lines = string.Join("\n", report.Format());
        var checkedLines = string.Join("\n", report.Format(targets: true));

        Assert.Contains("raw", lines);
        Assert.Contains("final_vs_raw", lines);
        Assert.DoesNotContain("manual_vs_raw", lines); // not measured, not reported
        Assert.DoesNotContain("target", lines); // our goals are not a user's verdict
        Assert.DoesNotContain("missed", lines, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(@"final_vs_raw +\d+\.\d{3}  \(no interval: 3 round\(s\), 6 needed\)  target <= 1\.10  unclear", checkedLines); // never a verdict from 3 rounds
    }

    [Theory]
    [InlineData(0, 1, 50, null)]
    [InlineData(1, -1, 50, null)]
    [InlineData(1, 1, 0, null)]
    [InlineData(1, 1, 50, 10)]
    public void Bad_options_are_refused(int epochs, int warmup, int bs, int? samples)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EpochBench.Run(data.Mnist, new BenchOptions(epochs, warmup, bs, Samples: samples)));
    }

    [CudaFact]
    public void On_cuda_the_final_stage_is_timed_at_batch_sizes_50_and_4096()
    {
        var report = EpochBench.Run(data.Mnist, new BenchOptions(Epochs: 1, Samples: 8192), CUDA, [50, 4096]);

        Assert.StartsWith("cuda", report.Device);
        Assert.Equal([50, 4096], report.BatchSizes.Select(b => b.BatchSize));
        Assert.All(report.BatchSizes, b => Assert.True(b.SamplesPerSecond > 0));
    }
}
