using System.Globalization;

namespace Backprop.Cli.Charts;

/// <summary>How an axis maps values to pixels.</summary>
internal enum Scale { Linear, Log }

/// <summary>Where a chart's legend sits inside its plot area.</summary>
internal enum LegendPlace { None, UpperRight, LowerRight }

/// <summary>A line through (x, y) points; non-finite values (and, on a log axis, values ≤ 0) break it.</summary>
/// <param name="Label">The legend's text; null keeps it out of the legend.</param>
/// <param name="Xs">The points' x values, in data units.</param>
/// <param name="Ys">Their y values.</param>
/// <param name="Color">The line's colour.</param>
/// <param name="Width">The line's width in pixels.</param>
/// <param name="Marker">The radius of a dot at each point, in pixels; 0 for none.</param>
/// <param name="Dashed">Dashes instead of a solid line.</param>
internal sealed record Series(string? Label, double[] Xs, double[] Ys, Rgba Color, double Width = 2, double Marker = 0, bool Dashed = false);

/// <summary>A heatmap cell: the unit square centred on (x, y) in data units, filled, with an optional text at its centre.</summary>
internal sealed record Cell(double X, double Y, Rgba Fill, string? Text = null, Rgba TextColor = default);

/// <summary>
/// One panel: a title, axes with ticks (nice ones chosen from the data's range, or given), axis labels, a light grid,
/// line series, heatmap cells and a legend, drawn into a rectangle of a <see cref="Canvas"/>.
/// </summary>
internal sealed class Chart
{
    private const double TitleSize = 16, LabelSize = 15, TickSize = 12, LegendSize = 12;

    public string? Title { get; init; }
    public string? XLabel { get; init; }
    public string? YLabel { get; init; }
    public Scale XScale { get; init; }
    public Scale YScale { get; init; }

    /// <summary>The axis ranges; from the data (plus a margin) where not given.</summary>
    public (double Min, double Max)? XLimits { get; init; }

    /// <inheritdoc cref="XLimits"/>
    public (double Min, double Max)? YLimits { get; init; }

    /// <summary>Ticks at these values with these labels (those outside the range dropped); nice ones where not given.</summary>
    public IReadOnlyList<(double Value, string Label)>? XTicks { get; init; }

    /// <inheritdoc cref="XTicks"/>
    public IReadOnlyList<(double Value, string Label)>? YTicks { get; init; }

    public bool Grid { get; init; } = true;
    public LegendPlace Legend { get; init; }
    public List<Series> Series { get; } = [];
    public List<Cell> Cells { get; } = [];

    /// <summary>Draws the chart into the pixels [x, x+w) × [y, y+h) of <paramref name="canvas"/>; returns its plot area, the pixels [X0, X1) × [Y0, Y1) inside the frame.</summary>
    public (int X0, int Y0, int X1, int Y1) Render(Canvas canvas, int x, int y, int w, int h)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        var (regular, bold) = (Fonts.Regular, Fonts.Bold);
        var (xr, yr) = (XLimits ?? Range(Series.SelectMany(s => s.Xs).Concat(Cells.Select(c => c.X)), XScale), YLimits ?? Range(Series.SelectMany(s => s.Ys).Concat(Cells.Select(c => c.Y)), YScale));
        var xt = (XTicks ?? NiceTicks(xr, XScale)).Where(t => Inside(t.Value, xr)).ToList();
        var yt = (YTicks ?? NiceTicks(yr, YScale)).Where(t => Inside(t.Value, yr)).ToList();

        // The plot area: what is left after the title above, the x ticks and label below, the y label and ticks on the left.
        var tickWidth = yt.Count == 0 ? 0 : yt.Max(t => Canvas.TextWidth(regular, TickSize, t.Label));
        var left = x + 10 + (YLabel is null ? 0 : Canvas.LineHeight(bold, LabelSize) + 6) + tickWidth + 8;
        var top = y + (Title is null ? 10 : Canvas.LineHeight(bold, TitleSize) + 16);
        var bottom = y + h - 10 - (XLabel is null ? 0 : Canvas.LineHeight(bold, LabelSize) + 2) - Canvas.LineHeight(regular, TickSize) - 6;
        var right = x + w - 16;
        var area = ((int)left, (int)top, (int)right, (int)bottom);
        double Px(double v) => area.Item1 + (Map(v, XScale) - Map(xr.Min, XScale)) / (Map(xr.Max, XScale) - Map(xr.Min, XScale)) * (area.Item3 - area.Item1);
        double Py(double v) => area.Item4 - (Map(v, YScale) - Map(yr.Min, YScale)) / (Map(yr.Max, YScale) - Map(yr.Min, YScale)) * (area.Item4 - area.Item2);

        if (Title is not null) canvas.Text(bold, TitleSize, Title, (area.Item1 + area.Item3) / 2.0, y + 8, Rgba.Black, alignX: 0.5);
        if (XLabel is not null) canvas.Text(bold, LabelSize, XLabel, (area.Item1 + area.Item3) / 2.0, y + h - 8, Rgba.Black, alignX: 0.5, alignY: 1);
        if (YLabel is not null) canvas.Text(bold, LabelSize, YLabel, x + 8, (area.Item2 + area.Item4) / 2.0, Rgba.Black, alignX: 0.5, upward: true);
        foreach (var (v, label) in xt)
        {
            var px = Math.Round(Px(v)) + 0.5;
            if (Grid) canvas.FillRect((int)px, area.Item2, 1, area.Item4 - area.Item2, Rgba.LightGray);
            canvas.FillRect((int)px, area.Item4, 1, 5, Rgba.Black);
            canvas.Text(regular, TickSize, label, px, area.Item4 + 6, Rgba.Black, alignX: 0.5);
        }
        foreach (var (v, label) in yt)
        {
            var py = Math.Round(Py(v)) + 0.5;
            if (Grid) canvas.FillRect(area.Item1, (int)py, area.Item3 - area.Item1, 1, Rgba.LightGray);
            canvas.FillRect(area.Item1 - 5, (int)py, 5, 1, Rgba.Black);
            canvas.Text(regular, TickSize, label, area.Item1 - 7, py, Rgba.Black, alignX: 1, alignY: 0.5);
        }

        canvas.Clip = (area.Item1, area.Item2, area.Item3, area.Item4);
        foreach (var c in Cells)
        {
            var (x0, x1, y0, y1) = ((int)Math.Round(Px(c.X - 0.5)), (int)Math.Round(Px(c.X + 0.5)), (int)Math.Round(Py(c.Y + 0.5)), (int)Math.Round(Py(c.Y - 0.5)));
            canvas.FillRect(x0, y0, x1 - x0, y1 - y0, c.Fill);
            if (c.Text is not null) canvas.Text(regular, TickSize, c.Text, (x0 + x1) / 2.0, (y0 + y1) / 2.0, c.TextColor, alignX: 0.5, alignY: 0.5);
        }
        foreach (var s in Series)
            foreach (var run in Runs(s))
            {
                var points = run.Select(p => (Px(p.X), Py(p.Y))).ToList();
                canvas.Polyline(points, s.Width, s.Color, s.Dashed ? (s.Width * 3, s.Width * 2) : null);
                if (s.Marker > 0) foreach (var (px, py) in points) canvas.Dot(px, py, s.Marker, s.Color);
            }
        canvas.Clip = (0, 0, canvas.Width, canvas.Height);
        canvas.StrokeRect(area.Item1 - 1, area.Item2 - 1, area.Item3 - area.Item1 + 2, area.Item4 - area.Item2 + 2, Rgba.Black);
        DrawLegend(canvas, area);
        return area;
    }

    private void DrawLegend(Canvas canvas, (int X0, int Y0, int X1, int Y1) area)
    {
        var items = Series.Where(s => s.Label is not null).ToList();
        if (Legend == LegendPlace.None || items.Count == 0) return;
        var font = Fonts.Regular;
        var row = Canvas.LineHeight(font, LegendSize) + 4;
        var w = (int)(items.Max(s => Canvas.TextWidth(font, LegendSize, s.Label!)) + 48);
        var h = (int)(items.Count * row + 10);
        var (lx, ly) = (area.X1 - w - 10, Legend == LegendPlace.UpperRight ? area.Y0 + 10 : area.Y1 - h - 10);
        canvas.FillRect(lx, ly, w, h, Rgba.White);
        canvas.StrokeRect(lx, ly, w, h, Rgba.Gray);
        for (var i = 0; i < items.Count; i++)
        {
            var s = items[i];
            var cy = ly + 5 + (i + 0.5) * row;
            canvas.Polyline([(lx + 8, cy), (lx + 34, cy)], s.Width, s.Color, s.Dashed ? (s.Width * 3, s.Width * 2) : null);
            if (s.Marker > 0) canvas.Dot(lx + 21, cy, s.Marker, s.Color);
            canvas.Text(font, LegendSize, s.Label!, lx + 40, cy, Rgba.Black, alignY: 0.5);
        }
    }

    // The series' points split where a value cannot be drawn.
    private IEnumerable<List<(double X, double Y)>> Runs(Series s)
    {
        var run = new List<(double X, double Y)>();
        for (var i = 0; i < Math.Min(s.Xs.Length, s.Ys.Length); i++)
        {
            if (Drawable(s.Xs[i], XScale) && Drawable(s.Ys[i], YScale)) { run.Add((s.Xs[i], s.Ys[i])); continue; }
            if (run.Count > 0) yield return run;
            run = [];
        }
        if (run.Count > 0) yield return run;
    }

    private static bool Drawable(double v, Scale scale) => double.IsFinite(v) && (scale == Scale.Linear || v > 0);

    private static double Map(double v, Scale scale) => scale == Scale.Log ? Math.Log10(v) : v;

    private static bool Inside(double v, (double Min, double Max) r) => v >= r.Min - 1e-9 * Math.Abs(r.Max - r.Min) && v <= r.Max + 1e-9 * Math.Abs(r.Max - r.Min);

    // The data's range and 5% more each side (in the axis's own units); a single value gets ±10% of itself around it.
    private static (double Min, double Max) Range(IEnumerable<double> values, Scale scale)
    {
        var vs = values.Where(v => Drawable(v, scale)).Select(v => Map(v, scale)).ToArray();
        if (vs.Length == 0) return scale == Scale.Log ? (1, 10) : (0, 1);
        var (lo, hi) = (vs.Min(), vs.Max());
        var pad = hi > lo ? (hi - lo) * 0.05 : lo == 0 ? 1 : Math.Abs(lo) * 0.1;
        (lo, hi) = (lo - pad, hi + pad);
        return scale == Scale.Log ? (Math.Pow(10, lo), Math.Pow(10, hi)) : (lo, hi);
    }

    /// <summary>
    /// Linear: about six ticks a round step apart (1, 2 or 5 × a power of ten), labelled with the step's decimals (in e-notation when the step is 10⁵ or more, or under 10⁻⁴).
    /// Log: the powers of ten in range, and their 2× and 5× where fewer than three powers fit.
    /// </summary>
    internal static List<(double Value, string Label)> NiceTicks((double Min, double Max) r, Scale scale)
    {
        var c = CultureInfo.InvariantCulture;
        if (scale == Scale.Log)
        {
            var decades = Enumerable.Range((int)Math.Floor(Math.Log10(r.Min)), (int)Math.Ceiling(Math.Log10(r.Max)) - (int)Math.Floor(Math.Log10(r.Min)) + 1).ToList();
            var steps = decades.Count(d => Inside(Math.Pow(10, d), r)) >= 3 ? new[] { 1.0 } : [1.0, 2, 5];
            return [.. decades.SelectMany(d => steps.Select(m => m * Math.Pow(10, d))).Where(v => Inside(v, r)).Select(v => (v, v.ToString("G4", c)))];
        }
        var raw = (r.Max - r.Min) / 6;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw * (1 - 1e-9)); // a step that is exactly raw, give or take a rounding
        var decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        var wide = step >= 1e5 || step < 1e-4; // a diverged loss: 2.5e9, not 2500000000
        var ticks = new List<(double, string)>();
        for (var v = Math.Ceiling(r.Min / step - 1e-9) * step; v <= r.Max + step * 1e-9; v += step)
        {
            var t = Math.Round(v / step) * step;
            if (Math.Abs(t) < step * 1e-9) t = 0;
            ticks.Add((t, wide && t != 0 ? t.ToString("0.##e0", c) : t.ToString("F" + decimals, c)));
        }
        return ticks;
    }
}
