using Backprop.Cli.Runs;
using Backprop.Data;
using SkiaSharp;

namespace Backprop.Tests.Cli.Runs;

public sealed class MisclassifiedGridTests
{
    [Fact]
    public void Draws_real_digits_in_rows_of_the_given_width()
    {
        using var m = Mnist.Load(Repo.Data);
        using var dir = new TempDir();
        var digits = Enumerable.Range(0, 10)
            .Select(i => new MisclassifiedGrid.Digit(m.XValid[i].data<float>().ToArray(), (i + 1) % 10, m.YValid[i].item<long>()))
            .ToList();

        MisclassifiedGrid.Save(digits, dir.File("grid.png"), columns: 4, cell: 100);

        using var png = SKBitmap.Decode(dir.File("grid.png"));
        Assert.Equal(4 * 100, png.Width);
        Assert.Equal(3 * 110, png.Height);
        // Ink: some pixels are near black (the strokes), most are near white (the background).
        var pixels = png.Pixels;
        Assert.Contains(pixels, p => p.Red < 40 && p.Green < 40 && p.Blue < 40);
        Assert.True(pixels.Count(p => p.Red > 230 && p.Green > 230 && p.Blue > 230) > pixels.Length / 2);
    }

    [Fact]
    public void A_digit_that_is_not_28_by_28_is_refused()
    {
        using var dir = new TempDir();

        var e = Assert.Throws<ArgumentException>(() => MisclassifiedGrid.Save([new(new float[100], 1, 2)], dir.File("g.png")));
        Assert.Contains("100 pixels", e.Message);
    }

    [Fact]
    public void No_digits_is_refused()
    {
        using var dir = new TempDir();

        Assert.Throws<ArgumentException>(() => MisclassifiedGrid.Save([], dir.File("g.png")));
    }
}
