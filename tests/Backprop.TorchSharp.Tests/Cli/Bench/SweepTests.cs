using System.Globalization;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Cli.Bench;
using ScottPlot;
using ScottPlot.Plottables;
using StbImageSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli.Bench;

/// <summary>The sweep's bookkeeping on real data at a tiny grid; the timings themselves are never asserted.</summary>
[Collection(MnistGroup.Name)]
public sealed class SweepTests(MnistFixture data)
{
    private static readonly SweepOptions Tiny = new([50, 100], [20], [1, 2], Samples: 300, Rounds: 2);

    [Fact]
    public void Every_cell_of_the_grid_is_timed_every_round_and_the_threads_are_restored()
    {
        var before = get_num_threads();
        var report = Sweep.Run(data.Mnist, Tiny);

        Assert.Equal(before, get_num_threads());
        Assert.Equal([(50, 20, 1), (100, 20, 1), (50, 20, 2), (100, 20, 2)], report.Cells.Select(c => (c.BatchSize, c.Hidden, c.Threads)));
        // Worked by hand: a step of 784-20-10 at bs 50 is 2·50·(2·784·20 + 3·20·10) = 3,196,000 FLOP, at bs 100 twice that;
        // 300 images are 6 steps of 50 or 3 of 100, 19,176,000 FLOP an epoch either way; 50,000 images are 500/3 times 300.
        Assert.Equal([3_196_000.0, 6_392_000, 3_196_000, 6_392_000], report.Cells.Select(c => c.FlopsPerStep));
        foreach (var c in report.Cells)
        {
            Assert.Equal(2, c.Rounds.Count);
            Assert.All(c.Rounds, s => Assert.True(s > 0 && double.IsFinite(s)));
            Assert.Equal((c.Rounds[0] + c.Rounds[1]) / 2, c.SecondsPerEpoch, 12); // the median of two rounds
            Assert.Equal(500.0 / 3, c.SecondsPer50k / c.SecondsPerEpoch, 9);
            var boundSeconds = 19_176_000 / (report.SgemmGflops[c.Threads] * 1e9); // the epoch's FLOPs at the measured sgemm rate
            Assert.Equal(c.SecondsPerEpoch, c.TimesComputeBound * boundSeconds, 9);
        }
        Assert.Equal([1, 2], report.SgemmGflops.Keys.Order());
        Assert.All(report.SgemmGflops.Values, g => Assert.True(g > 0 && double.IsFinite(g)));
    }

    [Fact]
    public void The_report_is_written_as_json_and_reads_back_the_same()
    {
        var report = Sweep.Run(data.Mnist, Tiny with { Threads = [1], Rounds = 1 });
        using var doc = JsonDocument.Parse(report.ToJson());
        var cells = doc.RootElement.GetProperty("cells");
        Assert.Equal(2, cells.GetArrayLength());
        Assert.Equal(50, cells[0].GetProperty("batch_size").GetInt32());
        Assert.True(cells[0].GetProperty("times_compute_bound").GetDouble() > 0);
        Assert.Equal(300, doc.RootElement.GetProperty("samples").GetInt32());

        using var dir = new TempDir();
        File.WriteAllText(dir.File("sweep.json"), report.ToJson());
        var back = SweepReport.Load(dir.File("sweep.json"));

        Assert.Equal(report.Format(), back.Format());
        Assert.Equal(report.ToJson(), back.ToJson());
    }

    [Fact]
    public void The_documented_sweep_plots_a_line_per_batch_size_and_thread_count_on_log_axes()
    {
        var report = SweepReport.Load(Path.Combine(Repo.Root, "docs", "sweep.json"));

        var figure = report.BuildPlot();
        figure.Render(1200, 520); // ticks are made at render time

        var (time, bound) = (figure.GetPlot(0), figure.GetPlot(1));
        foreach (var (plot, value) in new[] { (time, (Func<SweepCell, double>)(c => c.SecondsPer50k)), (bound, c => c.TimesComputeBound) })
        {
            var lines = plot.GetPlottables<Scatter>().ToList();
            Assert.Equal(8, lines.Count); // 4 batch sizes × 2 thread counts
            foreach (var line in lines)
            {
                var (bs, threads) = (int.Parse(line.LegendText.Split(' ', ',')[1], CultureInfo.InvariantCulture), line.LegendText.EndsWith("2 thr", StringComparison.Ordinal) ? 2 : 1);
                Assert.Equal(threads == 1 ? LinePattern.Solid : LinePattern.Dashed, line.LinePattern);
                var cells = report.Cells.Where(c => c.BatchSize == bs && c.Threads == threads).OrderBy(c => c.Hidden).ToList();
                var points = line.Data.GetScatterPoints();
                Assert.Equal(5, points.Count);
                // Log axes: each point, read back through the power of ten, is its cell's figure.
                foreach (var (cell, point) in cells.Zip(points))
                {
                    Assert.Equal(cell.Hidden, Math.Pow(10, point.X), 6);
                    Assert.Equal(value(cell), Math.Pow(10, point.Y), 9);
                }
            }
            var x = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToList();
            Assert.Equal(["50", "200", "500", "1000", "2000"], x.Select(t => t.Label));
            Assert.All(x, t => Assert.Equal(double.Parse(t.Label, CultureInfo.InvariantCulture), Math.Pow(10, t.Position), 1e-9));
            Assert.All(plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor), t => Assert.Equal(double.Parse(t.Label, CultureInfo.InvariantCulture), Math.Pow(10, t.Position), 1e-9));
        }
        // The same colour for a batch size, solid on 1 thread and dashed on 2.
        var byLabel = time.GetPlottables<Scatter>().ToDictionary(s => s.LegendText);
        Assert.Equal(byLabel["bs 256, 1 thr"].Color, byLabel["bs 256, 2 thr"].Color);
        Assert.NotEqual(byLabel["bs 256, 1 thr"].Color, byLabel["bs 1024, 1 thr"].Color);
    }

    [Fact]
    public void Bench_redraws_a_sweep_from_its_json_without_measuring()
    {
        using var dir = new TempDir();
        var png = dir.File("sweep.png");

        var (code, stdout, err) = BackpropAppTests.Run("bench", "--sweep", "--from", Path.Combine(Repo.Root, "docs", "sweep.json"), "--plot", png);

        Assert.True(code == ExitCodes.Ok, err);
        Assert.Equal(22, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => !l.StartsWith("wrote", StringComparison.Ordinal))); // 2 header lines, 20 cells
        Assert.Contains($"wrote {png}", stdout);
        var image = ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlue);
        Assert.Equal((1200, 520), (image.Width, image.Height));
        Assert.DoesNotContain("round", err); // nothing was timed
    }

    [Theory]
    [InlineData("{}", "holds no cells")]
    [InlineData("[1, 2]", "not a report of bench --sweep --json")]
    [InlineData("{\"cells\": [{\"batch_size\": 50, \"hidden\": 0, \"threads\": 1, \"seconds_per50k\": 1, \"times_compute_bound\": 1}], \"sgemm_gflops\": {}}", "not positive")]
    public void A_file_that_is_not_a_sweep_s_json_is_named_and_nothing_is_drawn(string json, string why)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("s.json"), json);

        var (code, stdout, err) = BackpropAppTests.Run("bench", "--sweep", "--from", dir.File("s.json"), "--plot", dir.File("s.png"));

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("", stdout);
        Assert.Contains($"error: {dir.File("s.json")}: ", err);
        Assert.Contains(why, err);
        Assert.False(File.Exists(dir.File("s.png")));
    }

    [Fact]
    public void A_folder_a_fifo_or_a_missing_file_given_to_from_is_named_without_waiting_or_mnist_advice()
    {
        using var dir = new TempDir();
        List<(string Path, string Why)> cases = [(dir.Path, "it is a folder"), (dir.File("none.json"), "does not exist")];
        if (OperatingSystem.IsLinux()) cases.Add((dir.Fifo("pipe"), "it is a FIFO"));

        foreach (var (path, why) in cases)
        {
            var (code, _, err) = BackpropAppTests.Run("bench", "--sweep", "--from", path);

            Assert.Equal(ExitCodes.Failed, code);
            Assert.Contains($"error: {path}: ", err);
            Assert.Contains(why, err);
            Assert.DoesNotContain("MNIST", err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void From_measures_nothing_so_quick_and_json_are_refused_with_it_and_it_needs_sweep()
    {
        var (code, _, err) = BackpropAppTests.Run("bench", "--sweep", "--from", "docs/sweep.json", "--json", "x.json");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--json does not apply to --from", err);

        (code, _, err) = BackpropAppTests.Run("bench", "--from", "docs/sweep.json");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--from belongs to --sweep", err);
    }

    [Fact]
    public void A_grid_bigger_than_its_images_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => (Tiny with { BatchSizes = [500] }).Validate());
}
