using Backprop.Cli.Runs;
using ScottPlot;
using ScottPlot.Plottables;
using StbImageSharp;

namespace Backprop.Tests.Cli.Runs;

public sealed class ConfusionMatrixPlotTests
{
    // 95 right and 5 taken for the next digit, in every class.
    private static ConfusionMatrix Matrix()
    {
        var counts = new long[10, 10];
        for (var i = 0; i < 10; i++) { counts[i, i] = 95; counts[i, (i + 1) % 10] = 5; }
        return new ConfusionMatrix(counts);
    }

    [Fact]
    public void Each_cell_holds_its_count_true_classes_down_from_0_and_the_diagonal_shaded_darkest()
    {
        var plot = ConfusionMatrixPlot.Build(Matrix(), "Confusion matrix, test split");
        plot.RenderInMemory(600, 600); // ticks are made at render time

        var cells = plot.GetPlottables<Heatmap>().Single();
        Assert.Equal((10, 10), (cells.Intensities.GetLength(0), cells.Intensities.GetLength(1)));
        for (var a = 0; a < 10; a++)
        {
            var row = Enumerable.Range(0, 10).Select(p => cells.Intensities[a, p]).ToArray();
            Assert.Equal(a, Array.IndexOf(row, row.Max()));          // heatmap row a is true class a
            Assert.True(row[(a + 1) % 10] > 0 && row[(a + 1) % 10] < row[a]);
            Assert.Equal(8, row.Count(v => v == 0));
        }
        // The counts sit on their cells: true class a at y = 9 - a (0 at the top), predicted p at x = p.
        var texts = plot.GetPlottables<Text>().ToDictionary(t => (t.Location.X, t.Location.Y), t => t.LabelText);
        Assert.Equal(100, texts.Count);
        Assert.Equal("95", texts[(3, 6)]);
        Assert.Equal("5", texts[(4, 6)]);
        Assert.Equal("0", texts[(5, 6)]);
        var left = plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).OrderByDescending(t => t.Position).Select(t => t.Label);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i}"), left); // 0 at the top
        Assert.Equal("Confusion matrix, test split", plot.Axes.Title.Label.Text);
        Assert.Equal(("predicted", "true"), (plot.Axes.Bottom.Label.Text, plot.Axes.Left.Label.Text));
    }

    [Fact]
    public void The_png_is_square_with_the_diagonal_dark_blue_where_the_axes_say_and_the_zero_counts_white()
    {
        using var dir = new TempDir();
        ConfusionMatrixPlot.Save(Matrix(), dir.File("c.png"), size: 600);
        var saved = ImageResult.FromMemory(File.ReadAllBytes(dir.File("c.png")), ColorComponents.RedGreenBlue);
        Assert.Equal((600, 600), (saved.Width, saved.Height));

        var plot = ConfusionMatrixPlot.Build(Matrix());
        plot.SavePng(dir.File("d.png"), 600, 600); // the same figure, whose pixel positions the plot now knows
        var png = ImageResult.FromMemory(File.ReadAllBytes(dir.File("d.png")), ColorComponents.RedGreenBlue);
        Assert.Equal(saved.Data, png.Data);
        byte[] Cell(int actual, int predicted) // a corner of the cell, clear of its count
        {
            var px = plot.GetPixel(new Coordinates(predicted - 0.35, 9 - actual + 0.35));
            var i = ((int)px.Y * 600 + (int)px.X) * 3;
            return png.Data[i..(i + 3)];
        }
        foreach (var a in new[] { 0, 4, 9 })
        {
            Assert.True(Cell(a, a) is [< 30, < 80, > 80], $"cell ({a}, {a}) is not dark blue: {string.Join(",", Cell(a, a))}");
            Assert.True(Cell(a, (a + 2) % 10) is [> 245, > 245, > 245], $"cell ({a}, {(a + 2) % 10}) is not white");
            var light = Cell(a, (a + 1) % 10); // 5%: a light blue
            Assert.True(light[2] > light[0] && light[0] is > 100 and < 245, $"cell ({a}, {(a + 1) % 10}) is not light blue: {string.Join(",", light)}");
        }
    }
}
