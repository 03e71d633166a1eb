using ScottPlot;

namespace Backprop.Reporting;

/// <summary>A PNG grid of digits the model got wrong, each titled with its prediction and its true label.</summary>
public static class MisclassifiedGrid
{
    /// <summary>One digit of the grid: its 784 pixels (28 × 28, row-major, values in [0, 1)) and the two labels.</summary>
    /// <param name="Pixels">(784) pixel values.</param>
    /// <param name="Predicted">What the model said.</param>
    /// <param name="Actual">The true label.</param>
    public sealed record Digit(float[] Pixels, long Predicted, long Actual);

    /// <summary>Renders <paramref name="digits"/> in rows of <paramref name="columns"/> to the PNG file <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<Digit> digits, string path, int columns = 8, int cell = 120)
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
            plot.Title($"pred {d.Predicted} · true {d.Actual}", size: 12);
            plot.Axes.Title.Label.ForeColor = Colors.DarkRed;
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.EmptyTickGenerator();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.EmptyTickGenerator();
            plot.HideGrid();
            plot.Axes.Margins(0, 0);
        }
        multiplot.SavePng(path, cols * cell, rows * (cell + 10));
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
