using ScottPlot;
using SkiaSharp;

namespace Backprop.Cli.Charts;

/// <summary>
/// What every plot of the runner shares: ScottPlot with one sans-serif font from the system's, matplotlib's colours,
/// and PNG files.
/// </summary>
internal static class Figure
{
    // ScottPlot takes the system's default typeface, which is DejaVu Serif on Debian: plots read better in a sans-serif.
    private static readonly string[] SansFonts = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Open Sans", "Segoe UI", "Helvetica Neue", "Helvetica", "Arial"];

    /// <summary>The font every plot is drawn in: the first of <see cref="SansFonts"/> the system has, else ScottPlot's choice.</summary>
    public static string Font { get; } = SansFonts.Intersect(SKFontManager.Default.FontFamilies, StringComparer.OrdinalIgnoreCase).FirstOrDefault() ?? Fonts.Default;

    /// <summary>
    /// Why the plots came out without their text, or <see langword="null"/>: a system with no font at all (a slim
    /// container) draws every line and cell but no letter, since the runner no longer carries a font of its own.
    /// </summary>
    public static string? TextProblem { get; } = TextProblemFor(SKFontManager.Default.FontFamilies);

    // Skia without fonts still lists one family, named "" (its empty typeface).
    internal static string? TextProblemFor(IEnumerable<string> families) => families.Any(f => !string.IsNullOrWhiteSpace(f)) ? null
        : "this system has no fonts, so the plots were drawn without their text; install one (Debian or Ubuntu: apt-get install fonts-dejavu-core; Alpine: apk add font-dejavu) for plots with text";

    /// <summary>matplotlib's tab10, ScottPlot's Category10: a colour per series.</summary>
    public static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;

    /// <summary>Train (blue) and validation (orange) in every plot, as fastai's recorder colours them.</summary>
    public static Color Train => Palette[0];

    /// <inheritdoc cref="Train"/>
    public static Color Valid => Palette[1];

    /// <summary>Accuracy (green).</summary>
    public static Color Accuracy => Palette[2];

    // Every label takes ScottPlot's default font when it is made (FontStyler.Set would also drop the titles' bold).
    static Figure() => Fonts.Default = Font;

    /// <summary>A new plot in <see cref="Font"/>: bold title and axis labels, a faint grid.</summary>
    public static Plot New()
    {
        var plot = new Plot();
        plot.Axes.Title.Label.FontSize = 16;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontSize = 14;
            axis.TickLabelStyle.FontSize = 12;
        }
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { TickDensity = 0.5 }; // about six labels, not fifteen
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.1);
        plot.Legend.FontSize = 12;
        plot.Legend.ShadowColor = Colors.Transparent;
        plot.Legend.OutlineColor = Colors.Gray;
        plot.Legend.SymbolWidth = 30; // room for a dash pattern
        return plot;
    }

    /// <summary>A text label in <see cref="Font"/> at (x, y) in the plot's units.</summary>
    public static ScottPlot.Plottables.Text Text(Plot plot, string text, double x, double y, float size, Color color, Alignment alignment, bool bold = false)
    {
        ArgumentNullException.ThrowIfNull(plot);
        var label = plot.Add.Text(text, x, y);
        label.LabelFontSize = size;
        label.LabelFontColor = color;
        label.LabelBold = bold;
        label.LabelAlignment = alignment;
        return label;
    }

    /// <summary>
    /// <paramref name="panels"/> stacked top to bottom, each as tall as its share of the figure, with the same margins
    /// around each data area (<paramref name="padding"/>), so that their x axes line up.
    /// </summary>
    public static Multiplot Rows(PixelPadding padding, params (Plot Plot, double Share)[] panels)
    {
        ArgumentNullException.ThrowIfNull(panels);
        var figure = new Multiplot(panels[0].Plot);
        foreach (var (plot, _) in panels.Skip(1)) figure.AddPlot(plot);
        foreach (var (plot, _) in panels) plot.Layout.Fixed(padding);
        figure.Layout = new Shares([.. panels.Select(p => p.Share)]);
        return figure;
    }

    /// <summary><paramref name="panels"/> side by side, each as wide as the others.</summary>
    public static Multiplot Columns(params Plot[] panels)
    {
        ArgumentNullException.ThrowIfNull(panels);
        var figure = new Multiplot(panels[0]);
        foreach (var plot in panels.Skip(1)) figure.AddPlot(plot);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        return figure;
    }

    private sealed class Shares(double[] shares) : IMultiplotLayout
    {
        public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
        {
            var rects = new PixelRect[subplots.Count];
            var (total, top) = (shares.Sum(), figureRect.Top);
            for (var i = 0; i < rects.Length; i++)
            {
                var height = (float)(figureRect.Height * shares[i] / total);
                rects[i] = new PixelRect(figureRect.Left, figureRect.Right, top + height, top);
                top += height;
            }
            return rects;
        }
    }
}
