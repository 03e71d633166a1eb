using Backprop.Training;
using ScottPlot;

namespace Backprop.Reporting;

/// <summary>The confusion matrix as a PNG: one cell per (true, predicted) pair with its count, shaded by the share of the true class it holds.</summary>
public static class ConfusionMatrixPlot
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
