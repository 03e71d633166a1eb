namespace Backprop.Cli.Charts;

/// <summary>An 8-bit colour, not premultiplied.</summary>
internal readonly record struct Rgba(byte R, byte G, byte B, byte A = 255)
{
    public static readonly Rgba White = new(255, 255, 255), Black = new(0, 0, 0), Gray = new(128, 128, 128), LightGray = new(228, 228, 228);
    public static readonly Rgba SteelBlue = new(70, 130, 180), OrangeRed = new(255, 69, 0), SeaGreen = new(46, 139, 87);
    public static readonly Rgba DarkGreen = new(0, 100, 0), DarkRed = new(139, 0, 0);

    /// <summary>The colour <c>#rrggbb</c>.</summary>
    public static Rgba Hex(int rgb) => new((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
}

/// <summary>
/// An RGBA pixel buffer to draw charts on: rectangles, antialiased polygons (non-zero winding) and what is built from
/// them (lines of any width, dashes, dots, text in a TrueType font), and images scaled into a rectangle. Pixel (x, y)
/// covers [x, x+1) × [y, y+1), y down.
/// </summary>
internal sealed class Canvas
{
    private const int SubRows = 16; // vertical samples per pixel row; horizontal coverage is exact

    public int Width { get; }

    public int Height { get; }

    /// <summary>(Height, Width, 4) bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Drawing outside this rectangle (x0, y0, x1, y1) is dropped; the whole canvas by default.</summary>
    public (int X0, int Y0, int X1, int Y1) Clip { get; set; }

    public Canvas(int width, int height, Rgba background)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        (Width, Height, Pixels) = (width, height, new byte[width * height * 4]);
        Clip = (0, 0, width, height);
        FillRect(0, 0, width, height, background);
    }

    public Rgba this[int x, int y] => new(Pixels[(y * Width + x) * 4], Pixels[(y * Width + x) * 4 + 1], Pixels[(y * Width + x) * 4 + 2], Pixels[(y * Width + x) * 4 + 3]);

    /// <summary>Writes the canvas as a PNG file.</summary>
    public void SavePng(string path) => Png.Save(path, Width, Height, Pixels);

    /// <summary>Fills the pixels [x, x+w) × [y, y+h).</summary>
    public void FillRect(int x, int y, int w, int h, Rgba color)
    {
        for (var py = Math.Max(y, Clip.Y0); py < Math.Min(y + h, Clip.Y1); py++)
            for (var px = Math.Max(x, Clip.X0); px < Math.Min(x + w, Clip.X1); px++)
                Blend(px, py, color, 1);
    }

    /// <summary>A one-pixel frame just inside [x, x+w) × [y, y+h).</summary>
    public void StrokeRect(int x, int y, int w, int h, Rgba color)
    {
        FillRect(x, y, w, 1, color);
        FillRect(x, y + h - 1, w, 1, color);
        FillRect(x, y + 1, 1, h - 2, color);
        FillRect(x + w - 1, y + 1, 1, h - 2, color);
    }

    /// <summary>Draws <paramref name="image"/> (<paramref name="w"/> × <paramref name="h"/> colours, row-major) into the pixels [x, x+dw) × [y, y+dh), each source pixel a block.</summary>
    public void DrawImage(Rgba[] image, int w, int h, int x, int y, int dw, int dh)
    {
        for (var py = Math.Max(y, Clip.Y0); py < Math.Min(y + dh, Clip.Y1); py++)
            for (var px = Math.Max(x, Clip.X0); px < Math.Min(x + dw, Clip.X1); px++)
                Blend(px, py, image[(py - y) * h / dh * w + (px - x) * w / dw], 1);
    }

    /// <summary>A straight line of <paramref name="width"/> pixels through the given points, round at joins and ends; <paramref name="dash"/> (on, off lengths) breaks it.</summary>
    public void Polyline(IReadOnlyList<(double X, double Y)> points, double width, Rgba color, (double On, double Off)? dash = null)
    {
        var shapes = new List<List<(double X, double Y)>>();
        foreach (var piece in dash is { } d ? Dashes(points, d.On, d.Off) : [points])
        {
            for (var i = 0; i + 1 < piece.Count; i++)
            {
                var ((x0, y0), (x1, y1)) = (piece[i], piece[i + 1]);
                var len = Math.Sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0));
                if (len < 1e-9) continue;
                var (nx, ny) = (-(y1 - y0) / len * width / 2, (x1 - x0) / len * width / 2);
                shapes.Add(Clockwise([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)]));
            }
            foreach (var p in piece) shapes.Add(Circle(p.X, p.Y, width / 2));
        }
        Fill(shapes, color);
    }

    /// <summary>A filled disc.</summary>
    public void Dot(double x, double y, double radius, Rgba color) => Fill([Circle(x, y, radius)], color);

    /// <summary>
    /// Writes <paramref name="text"/> in <paramref name="font"/> at <paramref name="size"/> pixels per em. (x, y) is the
    /// point of the line's box at fractions (<paramref name="alignX"/>, <paramref name="alignY"/>) of its width and of
    /// its height (ascender to descender): (0, 0) the top left, (0.5, 0.5) the centre. <paramref name="upward"/> turns it
    /// a quarter left, to read bottom to top.
    /// </summary>
    public void Text(TrueTypeFont font, double size, string text, double x, double y, Rgba color, double alignX = 0, double alignY = 0, bool upward = false)
    {
        ArgumentNullException.ThrowIfNull(font);
        var scale = size / font.UnitsPerEm;
        var (u0, v0) = (-alignX * TextWidth(font, size, text), -alignY * LineHeight(font, size) + font.Ascender * scale);
        var shapes = new List<List<(double X, double Y)>>();
        var pen = 0.0;
        foreach (var rune in text.EnumerateRunes())
        {
            var glyph = font.GlyphIndex(rune.Value);
            foreach (var poly in TrueTypeFont.Flatten(font.Outline(glyph), 0.2 / scale))
                shapes.Add([.. poly.Select(p =>
                {
                    var (u, v) = (u0 + pen + p.X * scale, v0 - p.Y * scale);
                    return upward ? (x + v, y - u) : (x + u, y + v);
                })]);
            pen += font.Advance(glyph) * scale;
        }
        Fill(shapes, color);
    }

    /// <summary>The text's advance width in pixels.</summary>
    public static double TextWidth(TrueTypeFont font, double size, string text) =>
        text.EnumerateRunes().Sum(r => font.Advance(font.GlyphIndex(r.Value))) * size / font.UnitsPerEm;

    /// <summary>Ascender to descender, in pixels.</summary>
    public static double LineHeight(TrueTypeFont font, double size) => (font.Ascender - font.Descender) * size / font.UnitsPerEm;

    /// <summary>
    /// Fills the polygons under the non-zero winding rule, antialiased: each pixel takes the share of its area inside,
    /// measured on <see cref="SubRows"/> horizontal lines through it, each crossing it over an exact length.
    /// </summary>
    public void Fill(List<List<(double X, double Y)>> polygons, Rgba color)
    {
        var edges = new List<(double X0, double Y0, double X1, double Y1, int Dir)>();
        foreach (var poly in polygons)
            for (var i = 0; i < poly.Count; i++)
            {
                var (a, b) = (poly[i], poly[(i + 1) % poly.Count]);
                if (a.Y != b.Y) edges.Add(a.Y < b.Y ? (a.X, a.Y, b.X, b.Y, 1) : (b.X, b.Y, a.X, a.Y, -1));
            }
        if (edges.Count == 0) return;
        edges.Sort((p, q) => p.Y0.CompareTo(q.Y0));
        var yTop = Math.Max(Clip.Y0, (int)Math.Floor(edges[0].Y0));
        var yEnd = Math.Min(Clip.Y1, (int)Math.Ceiling(edges.Max(e => e.Y1)));
        var xLo = Math.Max(Clip.X0, (int)Math.Floor(edges.Min(e => Math.Min(e.X0, e.X1))));
        var xHi = Math.Min(Clip.X1, (int)Math.Ceiling(edges.Max(e => Math.Max(e.X0, e.X1))));
        if (yTop >= yEnd || xLo >= xHi) return;

        var cover = new double[xHi - xLo + 1];
        var active = new List<(double X0, double Y0, double X1, double Y1, int Dir)>();
        var crossings = new List<(double X, int Dir)>();
        var next = 0;
        for (var py = yTop; py < yEnd; py++)
        {
            while (next < edges.Count && edges[next].Y0 < py + 1) active.Add(edges[next++]);
            active.RemoveAll(e => e.Y1 <= py);
            if (active.Count == 0) continue;
            Array.Clear(cover);
            for (var s = 0; s < SubRows; s++)
            {
                var sy = py + (s + 0.5) / SubRows;
                crossings.Clear();
                foreach (var e in active)
                    if (sy >= e.Y0 && sy < e.Y1) crossings.Add((e.X0 + (sy - e.Y0) * (e.X1 - e.X0) / (e.Y1 - e.Y0), e.Dir));
                crossings.Sort((p, q) => p.X.CompareTo(q.X));
                var winding = 0;
                for (var i = 0; i + 1 < crossings.Count; i++)
                {
                    winding += crossings[i].Dir;
                    if (winding != 0) Span(cover, crossings[i].X - xLo, crossings[i + 1].X - xLo, 1.0 / SubRows);
                }
            }
            for (var px = xLo; px < xHi; px++)
                if (cover[px - xLo] > 0) Blend(px, py, color, Math.Min(1, cover[px - xLo]));
        }
    }

    // Adds weight × the length of [a, b) inside each cell of the row.
    private static void Span(double[] cover, double a, double b, double weight)
    {
        (a, b) = (Math.Clamp(a, 0, cover.Length - 1), Math.Clamp(b, 0, cover.Length - 1));
        if (b <= a) return;
        int ia = (int)a, ib = (int)b;
        if (ia == ib) { cover[ia] += (b - a) * weight; return; }
        cover[ia] += (ia + 1 - a) * weight;
        for (var i = ia + 1; i < ib; i++) cover[i] += weight;
        cover[ib] += (b - ib) * weight;
    }

    // Source over destination, the source's alpha scaled by its coverage.
    private void Blend(int x, int y, Rgba c, double coverage)
    {
        var i = (y * Width + x) * 4;
        var a = c.A / 255.0 * coverage;
        var da = Pixels[i + 3] / 255.0;
        var oa = a + da * (1 - a);
        if (oa <= 0) return;
        Pixels[i] = (byte)Math.Round((c.R * a + Pixels[i] * da * (1 - a)) / oa);
        Pixels[i + 1] = (byte)Math.Round((c.G * a + Pixels[i + 1] * da * (1 - a)) / oa);
        Pixels[i + 2] = (byte)Math.Round((c.B * a + Pixels[i + 2] * da * (1 - a)) / oa);
        Pixels[i + 3] = (byte)Math.Round(oa * 255);
    }

    // Shapes that overlap must turn the same way, or the non-zero rule would cancel them where they meet.
    private static List<(double X, double Y)> Clockwise(List<(double X, double Y)> poly)
    {
        var area = 0.0;
        for (var i = 0; i < poly.Count; i++) area += poly[i].X * poly[(i + 1) % poly.Count].Y - poly[(i + 1) % poly.Count].X * poly[i].Y;
        if (area < 0) poly.Reverse();
        return poly;
    }

    private static List<(double X, double Y)> Circle(double x, double y, double r)
    {
        var n = Math.Clamp((int)Math.Ceiling(r * 4), 8, 64);
        return [.. Enumerable.Range(0, n).Select(i => (x + r * Math.Cos(2 * Math.PI * i / n), y + r * Math.Sin(2 * Math.PI * i / n)))];
    }

    // The polyline cut into pieces `on` long with gaps `off` long between them, measured along it.
    private static List<IReadOnlyList<(double X, double Y)>> Dashes(IReadOnlyList<(double X, double Y)> points, double on, double off)
    {
        var pieces = new List<IReadOnlyList<(double X, double Y)>>();
        var current = new List<(double X, double Y)>();
        var (drawing, left) = (true, on);
        if (points.Count > 0) current.Add(points[0]);
        for (var i = 0; i + 1 < points.Count; i++)
        {
            var (p, q) = (points[i], points[i + 1]);
            var len = Math.Sqrt((q.X - p.X) * (q.X - p.X) + (q.Y - p.Y) * (q.Y - p.Y));
            var at = 0.0;
            while (len - at > left)
            {
                at += left;
                var cut = (p.X + (q.X - p.X) * at / len, p.Y + (q.Y - p.Y) * at / len);
                if (drawing) { current.Add(cut); pieces.Add(current); current = []; }
                else current = [cut];
                (drawing, left) = (!drawing, drawing ? off : on);
            }
            left -= len - at;
            if (drawing) current.Add(q);
        }
        if (drawing && current.Count > 1) pieces.Add(current);
        return pieces;
    }
}
