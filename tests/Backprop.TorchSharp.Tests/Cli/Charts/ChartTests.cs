using Backprop.Cli.Charts;

namespace Backprop.Tests.Cli.Charts;

/// <summary>The canvas's coverage and the chart's mapping of data to pixels, measured on the pixels drawn.</summary>
public sealed class ChartTests
{
    private static double Darkness(Canvas c) => c.Pixels.Where((_, i) => i % 4 == 0).Sum(r => (255 - r) / 255.0);

    [Fact]
    public void A_filled_square_covers_its_area_antialiased_at_fractional_edges()
    {
        var canvas = new Canvas(40, 40, Rgba.White);

        canvas.Fill([[(10.25, 10.25), (20.75, 10.25), (20.75, 20.75), (10.25, 20.75)]], Rgba.Black);

        Assert.Equal(10.5 * 10.5, Darkness(canvas), 0.5);
        Assert.Equal(Rgba.Black, canvas[15, 15]);
        Assert.Equal(Rgba.White, canvas[9, 15]);
        Assert.Equal(Rgba.White, canvas[21, 15]);
        Assert.InRange(canvas[10, 15].R, 255 * 0.25 - 3, 255 * 0.25 + 3); // three quarters of pixel 10 is inside
    }

    [Fact]
    public void The_non_zero_rule_cuts_a_hole_turning_the_other_way_and_fills_one_turning_the_same_way()
    {
        List<(double, double)> outer = [(0, 0), (30, 0), (30, 30), (0, 30)], inner = [(10, 10), (20, 10), (20, 20), (10, 20)];
        var hole = new Canvas(30, 30, Rgba.White);
        var same = new Canvas(30, 30, Rgba.White);

        hole.Fill([outer, [.. Enumerable.Reverse(inner)]], Rgba.Black);
        same.Fill([outer, inner], Rgba.Black);

        Assert.Equal(900 - 100, Darkness(hole), 0.5);
        Assert.Equal(900, Darkness(same), 0.5);
    }

    [Fact]
    public void A_line_is_as_wide_as_asked_and_a_dashed_one_has_gaps()
    {
        var solid = new Canvas(100, 20, Rgba.White);
        var dashed = new Canvas(100, 20, Rgba.White);

        solid.Polyline([(10, 10), (90, 10)], 4, Rgba.Black);
        dashed.Polyline([(10, 10), (90, 10)], 2, Rgba.Black, (6, 4));

        Assert.InRange(Darkness(solid), 80 * 4 + Math.PI * 4 - 2, 80 * 4 + Math.PI * 4 + 1); // the length times the width, and the round ends (circles of radius 2)
        Assert.Equal(Rgba.Black, solid[50, 8]);
        Assert.Equal(Rgba.White, solid[50, 13]);
        var row = Enumerable.Range(10, 80).Select(x => dashed[x, 10].R).ToList();
        Assert.Contains(row, r => r == 0);
        Assert.Contains(row, r => r == 255);
    }

    [Fact]
    public void Linear_and_log_axes_put_the_data_where_it_belongs()
    {
        var red = new Rgba(255, 0, 0);
        var linear = new Chart { XLimits = (0, 10), YLimits = (0, 10), Grid = false };
        linear.Series.Add(new Series(null, [0, 10], [7.5, 7.5], red));
        var log = new Chart { XScale = Scale.Log, YScale = Scale.Log, XLimits = (1, 100), YLimits = (1, 100), Grid = false };
        log.Series.Add(new Series(null, [1, 10, 100], [100, 10, 1], red, Width: 1, Marker: 4));
        var canvas = new Canvas(800, 400, Rgba.White);

        var a = linear.Render(canvas, 0, 0, 400, 400);
        var b = log.Render(canvas, 400, 0, 400, 400);

        bool Red(int x, int y) => canvas[x, y] is { R: > 200, G: < 60, B: < 60 };
        // The horizontal line at y = 7.5: a quarter of the way down the plot area, across all of it.
        var rows = Enumerable.Range(a.Y0, a.Y1 - a.Y0).Where(y => Red((a.X0 + a.X1) / 2, y)).ToList();
        Assert.InRange(rows.Average(), a.Y0 + (a.Y1 - a.Y0) * 0.25 - 1.5, a.Y0 + (a.Y1 - a.Y0) * 0.25 + 0.5);
        Assert.True(Red(a.X0 + 2, rows[0]) && Red(a.X1 - 3, rows[0]));
        // On log axes, (10, 10) is half way across and half way up; (1, 100) the top left corner.
        Assert.True(Red((b.X0 + b.X1) / 2, (b.Y0 + b.Y1) / 2));
        Assert.True(Red(b.X0 + 1, b.Y0 + 1));
        Assert.False(Red(b.X0 + 1, b.Y1 - 2));
        // The frame is drawn just outside the area.
        Assert.Equal(Rgba.Black, canvas[a.X0 - 1, (a.Y0 + a.Y1) / 2]);
    }

    [Theory]
    [InlineData(0.0, 1.0, "0.0 0.2 0.4 0.6 0.8 1.0")]
    [InlineData(0.12, 0.31, "0.15 0.20 0.25 0.30")]
    [InlineData(-3.0, 47.0, "0 10 20 30 40")]
    [InlineData(0.0, 2.6e9, "0 5e8 1e9 1.5e9 2e9 2.5e9")] // a diverged run's loss
    [InlineData(0.00001, 0.00004, "1e-5 1.5e-5 2e-5 2.5e-5 3e-5 3.5e-5 4e-5")]
    public void Linear_ticks_are_round_steps_inside_the_range(double lo, double hi, string expected)
    {
        Assert.Equal(expected, string.Join(" ", Chart.NiceTicks((lo, hi), Scale.Linear).Select(t => t.Label)));
    }

    [Theory]
    [InlineData(0.05, 20.0, "0.1 1 10")]
    [InlineData(0.8, 30.0, "1 2 5 10 20")]
    public void Log_ticks_are_powers_of_ten_and_their_halves_and_fifths_when_few_powers_fit(double lo, double hi, string expected)
    {
        Assert.Equal(expected, string.Join(" ", Chart.NiceTicks((lo, hi), Scale.Log).Select(t => t.Label)));
    }
}
