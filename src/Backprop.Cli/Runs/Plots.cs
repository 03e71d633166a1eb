using System.Globalization;
using Backprop.Cli.Charts;
using Backprop.Training;
using ScottPlot;
using ScottPlot.DataSources;
using ScottPlot.TickGenerators;
using static TorchSharp.torch;

namespace Backprop.Cli.Runs;

/// <summary>
/// A run's curves as a PNG. Above, the loss as fastai's <c>Recorder.plot_loss</c> draws it: every training batch's loss
/// (faint), their smoothed loss (fastai's <c>smooth_loss</c>) and the validation loss after each epoch; below, the
/// validation accuracy. The x axis counts epochs: batch i of n in epoch e sits at e − 1 + (i + 1) / n, so epoch e ends at
/// x = e, where its validation points are, and no tick names an epoch 0.
/// </summary>
internal static class TrainingCurves
{
    /// <summary>fastai's <c>AvgSmoothLoss</c> β: each batch moves the smoothed loss 2% of the way to its own.</summary>
    public const double Beta = 0.98;

    /// <summary>
    /// The two panels for <paramref name="history"/> (one result per epoch) and <paramref name="batchLosses"/> (each
    /// epoch's batch losses, by epoch number; an epoch without them, one trained before a resume, shows its mean).
    /// </summary>
    /// <exception cref="ArgumentException">The history is empty.</exception>
    public static Multiplot Build(IReadOnlyList<EpochResult> history, IReadOnlyDictionary<int, float[]> batchLosses)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(batchLosses);
        if (history.Count == 0) throw new ArgumentException("no epochs to plot", nameof(history));
        var last = history[^1].Epoch;

        var loss = Figure.New();
        loss.Title("Loss");
        loss.YLabel("loss");
        var (xs, raw) = BatchPoints(history, batchLosses);
        var smooth = Smooth(raw, Restarts(history, batchLosses, xs.Length));
        if (xs.Length > 0)
        {
            Batches(loss, xs, raw, Figure.Train.WithAlpha(0.2), "train, each batch", 1);
            Batches(loss, xs, smooth, Figure.Train, $"train, smoothed (β = {Beta.ToString(CultureInfo.InvariantCulture)})", 2);
        }
        var unrecorded = history.Where(r => !batchLosses.ContainsKey(r.Epoch) && double.IsFinite(r.TrainLoss)).ToArray();
        Coordinates[] means = [.. unrecorded.Select(r => new Coordinates(r.Epoch - 0.5, r.TrainLoss))]; // an epoch's mean belongs in its middle
        if (means.Length > 0)
        {
            var marks = loss.Add.ScatterPoints(means, Figure.Train);
            marks.LegendText = "train, epoch mean (no batches recorded)";
            marks.MarkerShape = MarkerShape.OpenCircle;
            marks.MarkerSize = 8;
        }
        var valid = PerEpoch(loss, history, r => r.ValidLoss, Figure.Valid, "valid");

        // The axis follows what the eye follows: the smoothed loss past its first 2% (the fall from ln 10), the epochs'
        // points. Single batches are noise: those above it are cut off.
        var skip = smooth.Length / 50;
        Coordinates[] followed = [.. smooth.Skip(skip).Select((y, i) => new Coordinates(xs[skip + i], y)), .. valid, .. means];
        var top = followed.Select(c => c.Y).Where(double.IsFinite).DefaultIfEmpty(1).Max() * 1.25;
        loss.Axes.SetLimitsY(0, top > 0 ? top : 1);
        // The legend goes top right, unless those lines pass there (a flat or rising loss): then bottom left.
        loss.ShowLegend(followed.Any(c => c.X > 0.6 * last && c.Y > 0.7 * top) ? Alignment.LowerLeft : Alignment.UpperRight);

        var acc = Figure.New();
        acc.Title("Validation accuracy");
        acc.YLabel("accuracy");
        double[] accuracy = [.. PerEpoch(acc, history, r => r.ValidAccuracy, Figure.Accuracy, "valid accuracy").Select(c => c.Y)];
        acc.ShowLegend(Alignment.LowerRight);
        if (accuracy.Length > 0) acc.Axes.SetLimitsY(accuracy.Min() - Pad(accuracy), accuracy.Max() + Pad(accuracy));

        var counts = history.Where(r => batchLosses.ContainsKey(r.Epoch)).Select(r => batchLosses[r.Epoch].Length).Distinct().ToArray();
        var xLabel = counts.Length == 1 ? string.Create(CultureInfo.InvariantCulture, $"epoch ({counts[0]:N0} {(counts[0] == 1 ? "batch" : "batches")} each)") : "epoch";
        foreach (var plot in new[] { loss, acc })
        {
            plot.XLabel(xLabel);
            plot.Axes.Bottom.TickGenerator = EpochTicks(last);
            plot.Axes.SetLimitsX(0, last + Math.Max(0.05, last * 0.02));
        }
        return Figure.Rows(new PixelPadding(left: 80, right: 20, bottom: 50, top: 40), (loss, 3), (acc, 2));
    }

    /// <summary>Renders <see cref="Build"/>'s panels to the PNG file <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<EpochResult> history, IReadOnlyDictionary<int, float[]> batchLosses, string path, int width = 800, int height = 700) =>
        Build(history, batchLosses).SavePng(path, width, height);

    /// <summary>fastai's <c>smooth_loss</c>: an exponential moving average with β = <see cref="Beta"/>, divided by 1 − βᵏ after k batches so that it starts at the first loss, not at 0; it starts again at each index of <paramref name="restarts"/>.</summary>
    internal static double[] Smooth(double[] losses, IReadOnlySet<int>? restarts = null)
    {
        ArgumentNullException.ThrowIfNull(losses);
        var smooth = new double[losses.Length];
        double avg = 0, debias = 1;
        for (var i = 0; i < losses.Length; i++)
        {
            if (restarts?.Contains(i) == true) (avg, debias) = (0, 1);
            avg = Beta * avg + (1 - Beta) * losses[i];
            debias *= Beta;
            smooth[i] = avg / (1 - debias);
        }
        return smooth;
    }

    // Every recorded batch, in epoch order, at e - 1 + (i + 1) / n.
    private static (double[] Xs, double[] Ys) BatchPoints(IReadOnlyList<EpochResult> history, IReadOnlyDictionary<int, float[]> batchLosses)
    {
        var (xs, ys) = (new List<double>(), new List<double>());
        foreach (var r in history)
        {
            if (!batchLosses.TryGetValue(r.Epoch, out var epoch)) continue;
            for (var i = 0; i < epoch.Length; i++)
            {
                xs.Add(r.Epoch - 1 + (i + 1.0) / epoch.Length);
                ys.Add(epoch[i]);
            }
        }
        return ([.. xs], [.. ys]);
    }

    // Where the recorded batches skip epochs (those trained before a resume), the smoothing starts afresh.
    private static HashSet<int> Restarts(IReadOnlyList<EpochResult> history, IReadOnlyDictionary<int, float[]> batchLosses, int count)
    {
        var restarts = new HashSet<int>();
        var (at, previous) = (0, int.MinValue);
        foreach (var r in history)
        {
            if (!batchLosses.TryGetValue(r.Epoch, out var epoch)) continue;
            if (r.Epoch != previous + 1) restarts.Add(at);
            (at, previous) = (at + epoch.Length, r.Epoch);
        }
        restarts.RemoveWhere(i => i >= count);
        return restarts;
    }

    private static void Batches(Plot plot, double[] xs, double[] ys, Color color, string legend, float width)
    {
        var line = plot.Add.SignalXY(new SignalXYSourceGenericArray<double, double>(xs, ys), color);
        line.LegendText = legend;
        line.LineWidth = width;
    }

    // A point per epoch, at its end, where the value is finite; returns the points drawn.
    private static Coordinates[] PerEpoch(Plot plot, IReadOnlyList<EpochResult> history, Func<EpochResult, double> value, Color color, string legend)
    {
        Coordinates[] points = [.. history.Where(r => double.IsFinite(value(r))).Select(r => new Coordinates(r.Epoch, value(r)))];
        var line = plot.Add.Scatter(points, color);
        line.LegendText = legend;
        line.LineWidth = 2;
        line.MarkerSize = 7;
        return points;
    }

    private static double Pad(double[] ys) => ys.Max() > ys.Min() ? (ys.Max() - ys.Min()) * 0.1 : 0.005;

    /// <summary>A tick at the end of each epoch (every k-th past ten), labelled with its number from 1.</summary>
    private static NumericManual EpochTicks(int last)
    {
        var every = (int)Math.Max(1, Math.Ceiling(last / 10.0));
        var ticks = new NumericManual();
        for (var e = every; e <= last; e += every) ticks.AddMajor(e, e.ToString(CultureInfo.InvariantCulture));
        return ticks;
    }
}

/// <summary>
/// fastai's <c>plot_top_losses</c> as a PNG: the digits with the highest loss first, each titled
/// prediction / actual / loss / probability of the prediction, under a title that names the run.
/// </summary>
internal static class TopLossesPlot
{
    /// <summary>The height of the band that holds the figure's title, in pixels.</summary>
    public const int TitleHeight = 36;

    // Each cell (cell × cell + 10 pixels): the digit's title line, then the digit in a frame.
    private const int LabelHeight = 24;

    /// <summary>One digit of the grid: its 784 pixels (28 × 28, row-major, values in [0, 1)) and what the model made of it.</summary>
    /// <param name="Pixels">(784) pixel values.</param>
    /// <param name="Predicted">What the model said.</param>
    /// <param name="Actual">The true label.</param>
    /// <param name="Loss">The digit's loss.</param>
    /// <param name="Probability">The probability the model gave its prediction.</param>
    public sealed record Digit(float[] Pixels, long Predicted, long Actual, double Loss, double Probability);

    /// <summary>
    /// The grid of <paramref name="digits"/>, in their order, in rows of <paramref name="columns"/>: one plot whose units are
    /// pixels (y downwards), a heatmap per digit, and the figure's size.
    /// </summary>
    public static (Plot Plot, int Width, int Height) Build(IReadOnlyList<Digit> digits, string title, int columns = 8, int cell = 120)
    {
        ArgumentNullException.ThrowIfNull(digits);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (digits.Count == 0) throw new ArgumentException("no digits to draw", nameof(digits));
        var cols = Math.Min(columns, digits.Count);
        var rows = (digits.Count + cols - 1) / cols;
        var (width, height) = (cols * cell, rows * (cell + 10));

        var plot = Figure.New();
        plot.Layout.Fixed(new PixelPadding(0, 0, 0, TitleHeight));
        plot.HideAxesAndGrid();
        plot.Axes.SetLimits(0, width, 0, height); // one unit a pixel, y upwards: row r of the grid ends at height - r × (cell + 10)
        var heading = $"{title}   (prediction/actual / loss / probability)";
        plot.Title(heading, 13);
        using var paint = Paint.NewDisposablePaint();
        var fits = (width - 16) / plot.Axes.Title.Label.Measure(heading, paint).Width;
        if (fits < 1) plot.Axes.Title.Label.FontSize = 13 * fits; // a narrow grid shrinks the title rather than cutting it
        var side = cell - LabelHeight + 2;
        for (var i = 0; i < digits.Count; i++)
        {
            var d = digits[i];
            if (d.Pixels.Length != 28 * 28) throw new ArgumentException($"digit {i} has {d.Pixels.Length} pixels, not 784", nameof(digits));
            var (x, top) = (i % cols * cell, height - i / cols * (cell + 10));
            var label = string.Create(CultureInfo.InvariantCulture, $"{d.Predicted}/{d.Actual} / {d.Loss:F2} / {d.Probability:F2}");
            Figure.Text(plot, label, x + cell / 2.0, top - 3, 11.5f * Math.Min(1, cell / 120f), d.Predicted == d.Actual ? Colors.DarkGreen : Colors.DarkRed, Alignment.UpperCenter, bold: true);
            var frame = new CoordinateRect(x + (cell - side) / 2.0, x + (cell + side) / 2.0, top - LabelHeight - side, top - LabelHeight);
            var image = plot.Add.Heatmap(Pixels(d.Pixels));
            image.Colormap = new ScottPlot.Colormaps.GrayscaleReversed(); // 0 white, 1 black, as fastai shows MNIST
            image.ManualRange = new ScottPlot.Range(0, 1);
            image.Rectangle = frame;
            var border = plot.Add.Rectangle(frame);
            border.FillStyle.Color = Colors.Transparent;
            border.LineStyle.Color = Colors.Black;
            border.LineStyle.Width = 1;
        }
        return (plot, width, height + TitleHeight);
    }

    /// <summary>
    /// The <paramref name="count"/> digits of (<paramref name="x"/> (N, 784), <paramref name="y"/> (N)) with the highest loss
    /// under <paramref name="predict"/> (<see cref="TopLosses.Find"/>), highest first, with their pixels.
    /// </summary>
    public static IReadOnlyList<Digit> Worst(Func<Tensor, Tensor> predict, Tensor x, Tensor y, Device device, int count)
    {
        ArgumentNullException.ThrowIfNull(x);
        return [.. TopLosses.Find(predict, x, y, device, count).Select(t =>
        {
            using var pixels = x[t.Index];
            return new Digit(pixels.cpu().data<float>().ToArray(), t.Predicted, t.Actual, t.Loss, t.Probability);
        })];
    }

    /// <summary>The grid's title for a run of <paramref name="settings"/> after <paramref name="epochs"/> epochs: <c>top losses on valid after epoch 5: 784-50-10, cross_entropy, autograd, lr 0.5, bs 50, seed 1</c>.</summary>
    public static string Title(TrainSettings settings, int epochs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return string.Create(CultureInfo.InvariantCulture,
            $"top losses on valid after epoch {epochs}: {settings.Hidden.Architecture}, {TrainOverrides.Name(settings.Loss)}, {TrainOverrides.Name(settings.Gradients)}, lr {settings.LearningRate}, bs {settings.BatchSize}, seed {settings.Seed}");
    }

    /// <summary>Renders <see cref="Build"/>'s grid to the PNG file <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<Digit> digits, string path, string title, int columns = 8, int cell = 120)
    {
        var (plot, width, height) = Build(digits, title, columns, cell);
        plot.SavePng(path, width, height);
    }

    // A heatmap draws its first row at the top of its extent, where the digit's first row belongs.
    private static double[,] Pixels(float[] pixels)
    {
        var rows = new double[28, 28];
        for (var r = 0; r < 28; r++)
            for (var c = 0; c < 28; c++)
                rows[r, c] = Math.Clamp(pixels[r * 28 + c], 0, 1);
        return rows;
    }
}

/// <summary>The confusion matrix as a PNG: one cell per (true, predicted) pair with its count, shaded by the share of the true class it holds.</summary>
internal static class ConfusionMatrixPlot
{
    /// <summary>The plot of <paramref name="matrix"/>: a heatmap with true classes down (0 at the top), predictions across, and each cell's count.</summary>
    public static Plot Build(ConfusionMatrix matrix, string title = "Confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var n = matrix.Classes;
        // Row-normalised shading: a 1% confusion stays visible next to a 99% diagonal.
        var shade = new double[n, n];
        for (var a = 0; a < n; a++)
            for (var p = 0; p < n; p++)
                shade[a, p] = matrix.Support(a) == 0 ? 0 : Math.Sqrt((double)matrix[a, p] / matrix.Support(a));

        var plot = Figure.New();
        plot.Title(title);
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.HideGrid();
        var cells = plot.Add.Heatmap(shade);
        cells.Colormap = new ScottPlot.Colormaps.Reversed(new ScottPlot.Colormaps.Blues()); // ScottPlot runs Blues from dark to light
        cells.ManualRange = new ScottPlot.Range(0, 1);
        cells.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5); // the heatmap's first row at the top: true class 0
        for (var a = 0; a < n; a++)
            for (var p = 0; p < n; p++)
                Figure.Text(plot, matrix[a, p].ToString(CultureInfo.InvariantCulture), p, n - 1 - a, 12, shade[a, p] > 0.6 ? Colors.White : Colors.Black, Alignment.MiddleCenter);
        string[] labels = [.. Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        plot.Axes.Bottom.TickGenerator = new NumericManual([.. Enumerable.Range(0, n).Select(i => (double)i)], labels);
        plot.Axes.Left.TickGenerator = new NumericManual([.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))], labels);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        return plot;
    }

    /// <summary>Renders <see cref="Build"/>'s plot of <paramref name="matrix"/> to the PNG file <paramref name="path"/>, titled <paramref name="title"/>.</summary>
    public static void Save(ConfusionMatrix matrix, string path, string title = "Confusion matrix", int size = 720) =>
        Build(matrix, title).SavePng(path, size, size);
}
