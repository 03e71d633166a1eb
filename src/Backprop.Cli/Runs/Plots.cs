using System.Globalization;
using Backprop.Training;
using ScottPlot;
using SkiaSharp;

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

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();

        var loss = multiplot.GetPlot(0);
        Line(loss, epochs, [.. history.Select(r => r.TrainLoss)], "train loss", Colors.SteelBlue);
        Line(loss, epochs, [.. history.Select(r => r.ValidLoss)], "valid loss", Colors.OrangeRed);
        loss.Title("Loss");
        loss.XLabel("epoch");
        loss.YLabel("loss");
        loss.ShowLegend(Alignment.UpperRight);

        var acc = multiplot.GetPlot(1);
        Line(acc, epochs, [.. history.Select(r => r.ValidAccuracy)], "valid accuracy", Colors.SeaGreen);
        acc.Title("Validation accuracy");
        acc.XLabel("epoch");
        acc.YLabel("accuracy");

        // Epochs count from 1: ticks only at epochs that exist, never at 0.
        var every = (int)Math.Max(1, Math.Ceiling(epochs.Length / 10.0));
        double[] ticks = [.. epochs.Where((_, i) => i % every == 0)];
        foreach (var p in new[] { loss, acc })
        {
            p.Axes.Bottom.SetTicks(ticks, [.. ticks.Select(t => t.ToString(CultureInfo.InvariantCulture))]);
            p.Axes.SetLimitsX(epochs[0] - 0.25, epochs[^1] + 0.25);
        }
        multiplot.SavePng(path, width, height);
    }

    private static void Line(Plot plot, double[] xs, double[] ys, string label, Color color)
    {
        var finite = xs.Zip(ys).Where(p => double.IsFinite(p.Second)).ToArray();
        if (finite.Length == 0) return;
        var s = plot.Add.Scatter(finite.Select(p => p.First).ToArray(), finite.Select(p => p.Second).ToArray(), color);
        s.LegendText = label;
        s.LineWidth = 2;
        s.MarkerSize = 6;
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

        var multiplot = new Multiplot();
        multiplot.AddPlots(digits.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, cols);
        for (var i = 0; i < digits.Count; i++)
        {
            var d = digits[i];
            if (d.Pixels.Length != 28 * 28) throw new ArgumentException($"digit {i} has {d.Pixels.Length} pixels, not 784", nameof(digits));
            var plot = multiplot.GetPlot(i);
            var hm = plot.Add.Heatmap(Image(d.Pixels));
            hm.Colormap = new ScottPlot.Colormaps.GrayscaleReversed();
            hm.ManualRange = new ScottPlot.Range(0, 1);
            plot.Title(string.Create(CultureInfo.InvariantCulture, $"{d.Predicted}/{d.Actual} / {d.Loss:F2} / {d.Probability:F2}"), size: 12);
            plot.Axes.Title.Label.ForeColor = d.Predicted == d.Actual ? Colors.DarkGreen : Colors.DarkRed;
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.EmptyTickGenerator();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.EmptyTickGenerator();
            plot.HideGrid();
            plot.Axes.Margins(0, 0);
        }

        // ScottPlot's multiplot has no figure title: draw one in a band above the grid.
        var (width, height) = (cols * cell, TitleHeight + rows * (cell + 10));
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        surface.Canvas.Clear(SKColors.White);
        surface.Canvas.Save();
        surface.Canvas.Translate(0, TitleHeight); // the multiplot draws from the canvas's origin, whatever rectangle it is given
        multiplot.Render(surface.Canvas, new PixelRect(0, width, height - TitleHeight, 0));
        surface.Canvas.Restore();
        using (var band = new SKPaint { Color = SKColors.White })
            surface.Canvas.DrawRect(0, 0, width, TitleHeight, band);
        using (var font = new SKFont(Fonts.GetTypeface(Fonts.Default, bold: true, italic: false), 13))
        using (var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true })
            surface.Canvas.DrawText($"{title}   (prediction/actual / loss / probability)", 8, TitleHeight - 12, font, ink);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }

    private static double[,] Image(float[] pixels)
    {
        var img = new double[28, 28];
        for (var r = 0; r < 28; r++)
            for (var c = 0; c < 28; c++)
                img[r, c] = pixels[r * 28 + c];
        return img;
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

        var plot = new Plot();
        var hm = plot.Add.Heatmap(shade);
        hm.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
        hm.ManualRange = new ScottPlot.Range(0, 1);
        for (var a = 0; a < n; a++)
            for (var p = 0; p < n; p++)
            {
                var text = plot.Add.Text(matrix[a, p].ToString(System.Globalization.CultureInfo.InvariantCulture), p, n - 1 - a);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 12;
                text.LabelFontColor = shade[a, p] > 0.6 ? Colors.White : Colors.Black;
            }

        var ticks = Enumerable.Range(0, n).ToArray();
        plot.Axes.Bottom.SetTicks([.. ticks.Select(i => (double)i)], [.. ticks.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        plot.Axes.Left.SetTicks([.. ticks.Select(i => (double)(n - 1 - i))], [.. ticks.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title(title);
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.SavePng(path, size, size);
    }
}
