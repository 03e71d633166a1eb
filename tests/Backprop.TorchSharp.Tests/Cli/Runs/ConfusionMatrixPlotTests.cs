using Backprop.Cli.Runs;
using SkiaSharp;

namespace Backprop.Tests.Cli.Runs;

public sealed class ConfusionMatrixPlotTests
{
    [Fact]
    public void Shades_the_diagonal_darkest()
    {
        using var dir = new TempDir();
        var counts = new long[10, 10];
        for (var i = 0; i < 10; i++) { counts[i, i] = 95; counts[i, (i + 1) % 10] = 5; }

        ConfusionMatrixPlot.Save(new ConfusionMatrix(counts), dir.File("c.png"), size: 600);

        using var png = SKBitmap.Decode(dir.File("c.png"));
        Assert.Equal(600, png.Width);
        Assert.Equal(600, png.Height);
        // Dark blue cells exist (the diagonal), and so do white ones (the zero counts).
        Assert.Contains(png.Pixels, p => p.Blue > 80 && p.Red < 30 && p.Green < 60);
        Assert.Contains(png.Pixels, p => p.Red > 245 && p.Green > 245 && p.Blue > 245);
    }
}
