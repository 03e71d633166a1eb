using System.Globalization;
using Backprop.Training;
using Backprop.Cli.Charts;

namespace Backprop.Cli.Runs;

/// <summary>A PNG of a run's curves: training and validation loss per epoch above, validation accuracy below.</summary>
internal static class TrainingCurves
{
    /// <summary>Renders <paramref name="history"/> (one result per epoch) to the PNG file <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The history is empty.</exception>
    public static void Save(IReadOnlyList<EpochResult> history, string path, int width = 800, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0) throw new ArgumentException("no epochs to plot", nameof(history));
        double[] epochs = [.. history.Select(r => (double)r.Epoch)];

        // Epochs count from 1: ticks only at epochs that exist, never at 0.
        var every = (int)Math.Max(1, Math.Ceiling(epochs.Length / 10.0));
        List<(double, string)> ticks = [.. epochs.Where((_, i) => i % every == 0).Select(e => (e, e.ToString(CultureInfo.InvariantCulture)))];
        var limits = (epochs[0] - 0.25, epochs[^1] + 0.25);
        var loss = new Chart { Title = "Loss", XLabel = "epoch", YLabel = "loss", XLimits = limits, XTicks = ticks, Legend = LegendPlace.UpperRight };
        loss.Series.Add(Line(epochs, [.. history.Select(r => r.TrainLoss)], "train loss", Rgba.SteelBlue));
        loss.Series.Add(Line(epochs, [.. history.Select(r => r.ValidLoss)], "valid loss", Rgba.OrangeRed));
        var acc = new Chart { Title = "Validation accuracy", XLabel = "epoch", YLabel = "accuracy", XLimits = limits, XTicks = ticks, Legend = LegendPlace.LowerRight };
        acc.Series.Add(Line(epochs, [.. history.Select(r => r.ValidAccuracy)], "valid accuracy", Rgba.SeaGreen));

        var canvas = new Canvas(width, height, Rgba.White);
        loss.Render(canvas, 0, 0, width, height / 2);
        acc.Render(canvas, 0, height / 2, width, height - height / 2);
        canvas.SavePng(path);
    }

    private static Series Line(double[] xs, double[] ys, string label, Rgba color) => new(label, xs, ys, color, Width: 2, Marker: 3);
}

/// <summary>
/// fastai's <c>plot_top_losses</c> as a PNG: the digits with the highest loss first, each titled
/// prediction / actual / loss / probability of the prediction, under a title that names the run.
/// </summary>
internal static class TopLossesPlot
{
    /// <summary>The height of the band that holds the figure's title, in pixels.</summary>
    public const int TitleHeight = 36;

    /// <summary>One digit of the grid: its 784 pixels (28 × 28, row-major, values in [0, 1)) and what the model made of it.</summary>
    /// <param name="Pixels">(784) pixel values.</param>
    /// <param name="Predicted">What the model said.</param>
    /// <param name="Actual">The true label.</param>
    /// <param name="Loss">The digit's loss.</param>
    /// <param name="Probability">The probability the model gave its prediction.</param>
    public sealed record Digit(float[] Pixels, long Predicted, long Actual, double Loss, double Probability);

    /// <summary>Renders <paramref name="digits"/>, in their order, in rows of <paramref name="columns"/> to the PNG file <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<Digit> digits, string path, string title, int columns = 8, int cell = 120)
    {
        ArgumentNullException.ThrowIfNull(digits);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (digits.Count == 0) throw new ArgumentException("no digits to draw", nameof(digits));
        var cols = Math.Min(columns, digits.Count);
        var rows = (digits.Count + cols - 1) / cols;

        var (width, height) = (cols * cell, TitleHeight + rows * (cell + 10));
        var canvas = new Canvas(width, height, Rgba.White);
        var heading = $"{title}   (prediction/actual / loss / probability)";
        var size = Math.Min(13, 13 * (width - 16) / Canvas.TextWidth(Fonts.Bold, 13, heading)); // a narrow grid shrinks the title rather than cutting it
        canvas.Text(Fonts.Bold, size, heading, 8, TitleHeight / 2.0, Rgba.Black, alignY: 0.5);
        var side = cell - 22; // each cell (cell × cell + 10): its title line, 26 pixels, then the digit in a frame
        for (var i = 0; i < digits.Count; i++)
        {
            var d = digits[i];
            if (d.Pixels.Length != 28 * 28) throw new ArgumentException($"digit {i} has {d.Pixels.Length} pixels, not 784", nameof(digits));
            var (x, y) = (i % cols * cell, TitleHeight + i / cols * (cell + 10));
            var label = string.Create(CultureInfo.InvariantCulture, $"{d.Predicted}/{d.Actual} / {d.Loss:F2} / {d.Probability:F2}");
            canvas.Text(Fonts.Bold, 11.5, label, x + cell / 2.0, y + 3, d.Predicted == d.Actual ? Rgba.DarkGreen : Rgba.DarkRed, alignX: 0.5);
            var (ix, iy) = (x + (cell - side) / 2, y + 26);
            // Gray reversed, 0 white and 1 black, as fastai shows MNIST.
            canvas.DrawImage([.. d.Pixels.Select(v => { var g = (byte)Math.Round(255 * (1 - Math.Clamp(v, 0, 1))); return new Rgba(g, g, g); })], 28, 28, ix, iy, side, side);
            canvas.StrokeRect(ix - 1, iy - 1, side + 2, side + 2, Rgba.Black);
        }
        canvas.SavePng(path);
    }
}

/// <summary>The confusion matrix as a PNG: one cell per (true, predicted) pair with its count, shaded by the share of the true class it holds.</summary>
internal static class ConfusionMatrixPlot
{
    /// <summary>Renders <paramref name="matrix"/> to the PNG file <paramref name="path"/>, titled <paramref name="title"/>.</summary>
    public static void Save(ConfusionMatrix matrix, string path, string title = "Confusion matrix", int size = 720)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var n = matrix.Classes;
        // Row-normalised shading: a 1% confusion stays visible next to a 99% diagonal.
        var shade = new double[n, n];
        for (var a = 0; a < n; a++)
            for (var p = 0; p < n; p++)
                shade[a, p] = matrix.Support(a) == 0 ? 0 : Math.Sqrt((double)matrix[a, p] / matrix.Support(a));

        var ticks = Enumerable.Range(0, n).ToArray();
        var chart = new Chart
        {
            Title = title, XLabel = "predicted", YLabel = "true", Grid = false,
            XLimits = (-0.5, n - 0.5), YLimits = (-0.5, n - 0.5),
            XTicks = [.. ticks.Select(i => ((double)i, i.ToString(CultureInfo.InvariantCulture)))],
            YTicks = [.. ticks.Select(i => ((double)(n - 1 - i), i.ToString(CultureInfo.InvariantCulture)))],
        };
        for (var a = 0; a < n; a++)
            for (var p = 0; p < n; p++)
                chart.Cells.Add(new Cell(p, n - 1 - a, Blues(shade[a, p]), matrix[a, p].ToString(CultureInfo.InvariantCulture), shade[a, p] > 0.6 ? Rgba.White : Rgba.Black));
        var canvas = new Canvas(size, size, Rgba.White);
        chart.Render(canvas, 0, 0, size, size);
        canvas.SavePng(path);
    }

    // ColorBrewer's nine-class Blues, from near white (0) to dark blue (1), interpolated between its steps.
    private static readonly Rgba[] BlueSteps = [.. new[] { 0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6, 0x4292c6, 0x2171b5, 0x08519c, 0x08306b }.Select(Rgba.Hex)];

    internal static Rgba Blues(double t)
    {
        var at = Math.Clamp(t, 0, 1) * (BlueSteps.Length - 1);
        var (i, f) = ((int)Math.Min(Math.Floor(at), BlueSteps.Length - 2), at - Math.Min(Math.Floor(at), BlueSteps.Length - 2));
        byte Mix(byte a, byte b) => (byte)Math.Round(a + (b - a) * f);
        return new Rgba(Mix(BlueSteps[i].R, BlueSteps[i + 1].R), Mix(BlueSteps[i].G, BlueSteps[i + 1].G), Mix(BlueSteps[i].B, BlueSteps[i + 1].B));
    }
}
