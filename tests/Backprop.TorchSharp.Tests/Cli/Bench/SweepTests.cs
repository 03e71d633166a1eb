using System.Text.Json;
using Backprop.Cli.Bench;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Bench;

/// <summary>The sweep's bookkeeping on real data at a tiny grid; the timings themselves are never asserted.</summary>
public sealed class SweepTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    private static readonly SweepOptions Tiny = new([50, 100], [20], [1, 2], Samples: 300, Rounds: 2);

    [Fact]
    public void Every_cell_of_the_grid_is_timed_every_round_and_the_threads_are_restored()
    {
        var before = get_num_threads();
        var report = Sweep.Run(data.Mnist, Tiny);

        Assert.Equal(before, get_num_threads());
        Assert.Equal([(50, 20, 1), (100, 20, 1), (50, 20, 2), (100, 20, 2)], report.Cells.Select(c => (c.BatchSize, c.Hidden, c.Threads)));
        foreach (var c in report.Cells)
        {
            Assert.Equal(2, c.Rounds.Count);
            Assert.All(c.Rounds, s => Assert.True(s > 0 && double.IsFinite(s)));
            Assert.Equal(c.SecondsPerEpoch * 50_000 / 300, c.SecondsPer50k, 9);
            Assert.Equal(CpuThreads.FlopsPerStep(c.BatchSize, c.Hidden), c.FlopsPerStep);
            var steps = (300 + c.BatchSize - 1) / c.BatchSize;
            Assert.Equal(c.SecondsPerEpoch / (steps * c.FlopsPerStep / (report.SgemmGflops[c.Threads] * 1e9)), c.TimesComputeBound, 9);
        }
        Assert.Equal([1, 2], report.SgemmGflops.Keys.Order());
    }

    [Fact]
    public void The_report_is_written_as_json_and_as_a_png()
    {
        var report = Sweep.Run(data.Mnist, Tiny with { Threads = [1], Rounds = 1 });
        using var doc = JsonDocument.Parse(report.ToJson());
        var cells = doc.RootElement.GetProperty("cells");
        Assert.Equal(2, cells.GetArrayLength());
        Assert.Equal(50, cells[0].GetProperty("batch_size").GetInt32());
        Assert.True(cells[0].GetProperty("times_compute_bound").GetDouble() > 0);
        Assert.Equal(300, doc.RootElement.GetProperty("samples").GetInt32());

        var png = Path.Combine(Path.GetTempPath(), $"sweep-{Guid.NewGuid():N}.png");
        try
        {
            report.SavePlot(png);
            var bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 1000);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
        finally
        {
            File.Delete(png);
        }
    }

    [Fact]
    public void A_grid_bigger_than_its_images_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => (Tiny with { BatchSizes = [500] }).Validate());
}
