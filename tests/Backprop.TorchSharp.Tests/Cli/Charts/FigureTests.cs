using Backprop.Cli.Charts;
using SkiaSharp;

namespace Backprop.Tests.Cli.Charts;

public sealed class FigureTests
{
    [Fact]
    public void A_system_without_fonts_is_told_how_to_get_one_and_one_with_fonts_is_not()
    {
        Assert.Contains("no fonts", Figure.TextProblemFor([]));
        Assert.Contains("apt-get install fonts-dejavu-core", Figure.TextProblemFor([""])); // what Skia lists with no font installed
        Assert.Null(Figure.TextProblemFor(["", "DejaVu Sans"]));
    }

    [Fact]
    public void The_plots_font_is_a_sans_serif_the_system_has()
    {
        var installed = SKFontManager.Default.FontFamilies.Where(f => f.Length > 0).ToList();
        if (installed.Count == 0) return; // a system without fonts: see the test above

        Assert.Contains(Figure.Font, installed);
        Assert.DoesNotContain("Serif", Figure.Font.Replace("Sans Serif", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(Figure.Font, Figure.New().Axes.Title.Label.FontName); // every plot is drawn in it
    }
}
