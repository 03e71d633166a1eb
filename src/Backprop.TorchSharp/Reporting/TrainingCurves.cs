using Backprop.Training;
using ScottPlot;

namespace Backprop.Reporting;

/// <summary>A PNG of a run's curves: training and validation loss per epoch above, validation accuracy below.</summary>
public static class TrainingCurves
{
    /// <summary>Renders <paramref name="history"/> (one result per epoch) to the PNG file <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The history is empty.</exception>
    public static void Save(IReadOnlyList<EpochResult> history, string path, int width = 800, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0) throw new ArgumentException("no epochs to plot", nameof(history));
        double[] epochs = [.. history.Select(r => (double)(r.Epoch + 1))];

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();

        var loss = multiplot.GetPlot(0);
        Line(loss, epochs, [.. history.Select(r => r.TrainLoss)], "train loss", Colors.SteelBlue);
        Line(loss, epochs, [.. history.Select(r => r.ValidLoss)], "valid loss", Colors.OrangeRed);
        loss.Title("Loss");
        loss.YLabel("loss");
        loss.ShowLegend(Alignment.UpperRight);

        var acc = multiplot.GetPlot(1);
        Line(acc, epochs, [.. history.Select(r => r.ValidAccuracy)], "valid accuracy", Colors.SeaGreen);
        acc.Title("Validation accuracy");
        acc.XLabel("epoch");
        acc.YLabel("accuracy");

        foreach (var p in new[] { loss, acc })
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(Math.Max(1, Math.Ceiling(epochs.Length / 10.0)));
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
