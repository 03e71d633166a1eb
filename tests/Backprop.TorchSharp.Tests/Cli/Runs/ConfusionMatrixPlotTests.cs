using Backprop.Cli.Runs;
using StbImageSharp;

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

        var png = ImageResult.FromMemory(File.ReadAllBytes(dir.File("c.png")), ColorComponents.RedGreenBlue);
        Assert.Equal(600, png.Width);
        Assert.Equal(600, png.Height);
        var pixels = png.Data.Chunk(3).ToList();
        // Dark blue cells exist (the diagonal), and so do white ones (the zero counts).
        Assert.Contains(pixels, p => p[2] > 80 && p[0] < 30 && p[1] < 60);
        Assert.Contains(pixels, p => p[0] > 245 && p[1] > 245 && p[2] > 245);
    }
}
