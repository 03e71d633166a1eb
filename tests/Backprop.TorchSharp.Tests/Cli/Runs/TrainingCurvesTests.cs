using Backprop.Cli.Runs;
using Backprop.Training;
using ScottPlot;
using ScottPlot.DataSources;
using ScottPlot.Plottables;
using StbImageSharp;

namespace Backprop.Tests.Cli.Runs;

public sealed class TrainingCurvesTests
{
    private static readonly EpochResult[] History = [new(1, 0.30, 0.14, 0.959, 1), new(2, 0.14, 0.13, 0.960, 1), new(3, 0.12, 0.12, 0.965, 1)];

    // 20 batches an epoch, falling from 1.0 with a zigzag.
    private static Dictionary<int, float[]> Batches(params int[] epochs) =>
        epochs.ToDictionary(e => e, e => Enumerable.Range(0, 20).Select(i => (float)(1.0 / (e + i * 0.1) + (i % 2 == 0 ? 0.05 : -0.05))).ToArray());

    [Fact]
    public void The_loss_of_every_batch_is_drawn_across_its_epoch_and_each_epoch_s_validation_at_its_end()
    {
        var batches = Batches(1, 2, 3);

        var figure = TrainingCurves.Build(History, batches);

        var (loss, acc) = (figure.GetPlot(0), figure.GetPlot(1));
        var each = Data(Series<SignalXY>(loss, "train, each batch"));
        var xs = each.Xs;
        Assert.Equal(60, xs.Length);
        Assert.True(xs.Zip(xs.Skip(1)).All(p => p.Second > p.First)); // in training order
        Assert.InRange(xs[0], 0.04, 0.06);                             // the first batch is 1/20 into epoch 1
        Assert.Equal([1.0, 2.0, 3.0], [xs[19], xs[39], xs[59]]);       // each epoch's last batch at its end
        Assert.Equal(batches[1].Concat(batches[2]).Concat(batches[3]).Select(v => (double)v), each.Ys);
        var smooth = Data(Series<SignalXY>(loss, "train, smoothed (β = 0.98)"));
        Assert.Equal(xs, smooth.Xs);

        var valid = Series<Scatter>(loss, "valid").Data.GetScatterPoints();
        Assert.Equal([(1.0, 0.14), (2.0, 0.13), (3.0, 0.12)], valid.Select(c => (c.X, c.Y)));
        var accuracy = Series<Scatter>(acc, "valid accuracy").Data.GetScatterPoints();
        Assert.Equal([(1.0, 0.959), (2.0, 0.960), (3.0, 0.965)], accuracy.Select(c => (c.X, c.Y)));
        Assert.DoesNotContain(loss.GetPlottables(), p => p is Scatter s && s.LegendText.Contains("epoch mean", StringComparison.Ordinal));
    }

    [Fact]
    public void Epochs_are_counted_from_1_at_their_ends_on_both_panels_and_the_x_label_gives_the_batches()
    {
        var figure = TrainingCurves.Build(History, Batches(1, 2, 3));
        figure.Render(800, 700); // ticks are made at render time

        foreach (var plot in figure.GetPlots())
        {
            var ticks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToArray();
            Assert.Equal([1.0, 2.0, 3.0], ticks.Select(t => t.Position));
            Assert.Equal(["1", "2", "3"], ticks.Select(t => t.Label));
            var limits = plot.Axes.GetLimits();
            Assert.Equal(0, limits.Left);
            Assert.InRange(limits.Right, 3, 3.2);
            Assert.Equal("epoch (20 batches each)", plot.Axes.Bottom.Label.Text);
        }
    }

    [Fact]
    public void A_long_run_labels_every_kth_epoch_and_never_an_epoch_0()
    {
        EpochResult[] history = [.. Enumerable.Range(1, 25).Select(e => new EpochResult(e, 1.0 / e, 1.0 / e, 0.9, 1))];
        var figure = TrainingCurves.Build(history, new Dictionary<int, float[]>());
        figure.Render(800, 700);

        var ticks = figure.GetPlot(1).Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).ToArray();

        Assert.Equal([3.0, 6, 9, 12, 15, 18, 21, 24], ticks.Select(t => t.Position));
        Assert.Equal(["3", "6", "9", "12", "15", "18", "21", "24"], ticks.Select(t => t.Label));
    }

    [Fact]
    public void Epochs_without_recorded_batches_show_their_mean_loss_mid_epoch_and_the_smoothing_starts_again_after_them()
    {
        var batches = Batches(1, 3); // epoch 2 trained in a run whose batches were not kept

        var loss = TrainingCurves.Build(History, batches).GetPlot(0);

        var means = Series<Scatter>(loss, "train, epoch mean (no batches recorded)").Data.GetScatterPoints();
        Assert.Equal([(1.5, 0.14)], means.Select(c => (c.X, c.Y)));
        var each = Data(Series<SignalXY>(loss, "train, each batch"));
        Assert.Equal(40, each.Count);
        Assert.Equal(2.05, each.Xs[20], 1e-12); // epoch 3's first batch, after the gap
        var smooth = Data(Series<SignalXY>(loss, "train, smoothed (β = 0.98)")).Ys;
        Assert.Equal(batches[3][0], smooth[20], 1e-6); // a fresh start: epoch 3's first batch, not a blend with epoch 1
        // Debiased, two batches in: (β(1-β)·b0 + (1-β)·b1) / (1-β²) = (β·b0 + b1) / (1+β), with nothing of epoch 1 in it.
        Assert.Equal(((0.98 * batches[3][0]) + batches[3][1]) / 1.98, smooth[21], 1e-6);
    }

    [Fact]
    public void The_smoothed_loss_starts_at_the_first_batch_follows_a_level_and_is_steadier_than_the_batches()
    {
        Assert.All(TrainingCurves.Smooth([0.7, 0.7, 0.7]), v => Assert.Equal(0.7, v, 12));
        // fastai's AvgSmoothLoss by hand, β = 0.98: after 1 then 0, (0.98·0.02 + 0) / (1 - 0.98²) = 0.0196 / 0.0396 = 49/99.
        var two = TrainingCurves.Smooth([1, 0]);
        Assert.Equal(1, two[0], 12);
        Assert.Equal(49.0 / 99, two[1], 12);

        double[] noisy = [.. Enumerable.Range(0, 500).Select(i => 0.3 + (i % 2 == 0 ? 0.1 : -0.1))];
        var smooth = TrainingCurves.Smooth(noisy);

        Assert.Equal(noisy[0], smooth[0], 1e-12); // debiased: not pulled towards 0 at the start
        Assert.All(smooth, v => Assert.InRange(v, 0.2, 0.4));
        Assert.InRange(smooth[^1], 0.29, 0.31);
        Assert.True(Spread(smooth[100..]) < Spread(noisy[100..]) / 10);
        var restarted = TrainingCurves.Smooth([1, 1, 1, 0.2, 0.2], new HashSet<int> { 3 });
        Assert.Equal(0.2, restarted[3], 1e-12);

        static double Spread(double[] v) => v.Max() - v.Min();
    }

    [Fact]
    public void The_loss_axis_follows_the_smoothed_and_validation_losses_and_cuts_off_single_spikes()
    {
        var batches = Batches(1, 2, 3);
        batches[2][7] = 100; // one batch gone wild

        var loss = TrainingCurves.Build(History, batches).GetPlot(0);

        var limits = loss.Axes.GetLimits();
        Assert.Equal(0, limits.Bottom);
        Assert.InRange(limits.Top, 0.5, 20); // above the smoothed loss, well below the spike
        Assert.Equal(Alignment.UpperRight, loss.Legend.Alignment); // a falling loss leaves the top right free
    }

    [Fact]
    public void A_loss_that_stays_high_moves_the_legend_out_of_its_way()
    {
        EpochResult[] history = [new(1, 2.30, 2.21, 0.33, 1), new(2, 2.29, 2.12, 0.52, 1)];
        var batches = new Dictionary<int, float[]> { [1] = [2.30f], [2] = [2.29f] }; // one batch an epoch

        var figure = TrainingCurves.Build(history, batches);

        Assert.Equal(Alignment.LowerLeft, figure.GetPlot(0).Legend.Alignment);
        figure.Render(800, 700);
        Assert.Equal("epoch (1 batch each)", figure.GetPlot(0).Axes.Bottom.Label.Text);
    }

    [Fact]
    public void Epochs_without_validation_draw_no_validation_point()
    {
        EpochResult[] history = [new(1, 0.3, 0.15, 0.955, 1), new(2, 0.14, double.NaN, double.NaN, 1)];

        var figure = TrainingCurves.Build(history, Batches(1, 2));

        Assert.Equal([1.0], Series<Scatter>(figure.GetPlot(0), "valid").Data.GetScatterPoints().Select(c => c.X));
        Assert.Equal([1.0], Series<Scatter>(figure.GetPlot(1), "valid accuracy").Data.GetScatterPoints().Select(c => c.X));
    }

    [Fact]
    public void The_png_holds_both_panels_with_the_train_and_validation_colours()
    {
        using var dir = new TempDir();

        TrainingCurves.Save(History, Batches(1, 2, 3), dir.File("c.png"), width: 800, height: 700);

        var png = ImageResult.FromMemory(File.ReadAllBytes(dir.File("c.png")), ColorComponents.RedGreenBlue);
        Assert.Equal((800, 700), (png.Width, png.Height));
        int Count(int y0, int y1, Func<byte[], bool> test) => png.Data.Chunk(3).Skip(y0 * 800).Take((y1 - y0) * 800).Count(test);
        // matplotlib's blue (31, 119, 180) and orange (255, 127, 14) in the loss panel (the top 3/5), green (44, 160, 44) below.
        Assert.True(Count(0, 420, p => p[2] > 150 && p[0] < 60) > 200, "no train loss drawn");
        Assert.True(Count(0, 420, p => p[0] > 230 && p[1] is > 100 and < 150 && p[2] < 60) > 50, "no validation loss drawn");
        Assert.True(Count(420, 700, p => p[1] > 140 && p[0] < 70 && p[2] < 70) > 50, "no accuracy drawn");
        Assert.True(Count(0, 700, p => p[0] > 245 && p[1] > 245 && p[2] > 245) > 800 * 700 / 2); // mostly white
    }

    [Fact]
    public void An_empty_history_is_refused()
    {
        using var dir = new TempDir();

        Assert.Throws<ArgumentException>(() => TrainingCurves.Save([], new Dictionary<int, float[]>(), dir.File("c.png")));
        Assert.False(File.Exists(dir.File("c.png")));
    }

    private static SignalXYSourceGenericArray<double, double> Data(SignalXY line) => Assert.IsType<SignalXYSourceGenericArray<double, double>>(line.Data);

    private static T Series<T>(Plot plot, string legend) where T : IPlottable =>
        plot.GetPlottables<T>().Single(p => p.LegendItems.Any(l => l.LabelText == legend));
}
