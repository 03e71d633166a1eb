using System.Buffers.Binary;

namespace Backprop.Cli.Charts;

/// <summary>A point of a glyph's outline in font units (y up): on the curve, or the control point of a quadratic Bézier.</summary>
internal readonly record struct OutlinePoint(double X, double Y, bool OnCurve);

/// <summary>A glyph's bounding box from its glyf header, in font units.</summary>
internal readonly record struct GlyphBox(int XMin, int YMin, int XMax, int YMax);

/// <summary>
/// A TrueType font read from its tables (OpenType specification): head, hhea, maxp and hmtx for the metrics, cmap
/// (formats 4 and 12) for characters to glyphs, loca and glyf for the outlines, composite glyphs included.
/// </summary>
internal sealed class TrueTypeFont
{
    private readonly byte[] data;
    private readonly Dictionary<string, (int Offset, int Length)> tables = [];
    private readonly int glyf, loca, hmtx, metricsCount, cmap;
    private readonly bool longLoca;

    /// <summary>Font units per em: a size in pixels divided by this scales the font's numbers to pixels.</summary>
    public int UnitsPerEm { get; }

    /// <summary>The typographic ascender (above the baseline) and descender (below: negative), in font units.</summary>
    public int Ascender { get; }

    /// <inheritdoc cref="Ascender"/>
    public int Descender { get; }

    /// <summary>How many glyphs the font holds.</summary>
    public int GlyphCount { get; }

    /// <summary>Reads the font file's bytes.</summary>
    /// <exception cref="InvalidDataException">A table the reader needs is missing.</exception>
    public TrueTypeFont(byte[] data)
    {
        this.data = data;
        int count = U16(4);
        for (var i = 0; i < count; i++)
        {
            var r = 12 + 16 * i;
            tables[System.Text.Encoding.ASCII.GetString(data, r, 4)] = ((int)U32(r + 8), (int)U32(r + 12));
        }
        var head = Table("head");
        UnitsPerEm = U16(head + 18);
        longLoca = S16(head + 50) == 1;
        var hhea = Table("hhea");
        (Ascender, Descender, metricsCount) = (S16(hhea + 4), S16(hhea + 6), U16(hhea + 34));
        GlyphCount = U16(Table("maxp") + 4);
        (glyf, loca, hmtx) = (Table("glyf"), Table("loca"), Table("hmtx"));
        cmap = UnicodeSubtable();
    }

    /// <summary>The glyph of a Unicode code point; 0 (the font's .notdef box) where the font has none.</summary>
    public int GlyphIndex(int codepoint)
    {
        if (U16(cmap) == 12)
        {
            var groups = (int)U32(cmap + 12);
            for (var g = 0; g < groups; g++)
            {
                var r = cmap + 16 + 12 * g;
                if (codepoint >= U32(r) && codepoint <= U32(r + 4)) return (int)(U32(r + 8) + (uint)codepoint - U32(r));
            }
            return 0;
        }
        // Format 4: segments of consecutive codes, each mapped by a delta or through the glyph id array.
        if (codepoint > 0xFFFF) return 0;
        var segs = U16(cmap + 6) / 2;
        int ends = cmap + 14, starts = ends + 2 * segs + 2, deltas = starts + 2 * segs, ranges = deltas + 2 * segs;
        for (var s = 0; s < segs; s++)
        {
            if (codepoint > U16(ends + 2 * s)) continue;
            int start = U16(starts + 2 * s), delta = S16(deltas + 2 * s), range = U16(ranges + 2 * s);
            if (codepoint < start) return 0;
            if (range == 0) return (codepoint + delta) & 0xFFFF;
            var g = U16(ranges + 2 * s + range + 2 * (codepoint - start));
            return g == 0 ? 0 : (g + delta) & 0xFFFF;
        }
        return 0;
    }

    /// <summary>How far the pen moves after <paramref name="glyph"/>, in font units (hmtx).</summary>
    public int Advance(int glyph) => U16(hmtx + 4 * Math.Min(glyph, metricsCount - 1));

    /// <summary>The glyph's box as its glyf header records it; all zero for an empty glyph (a space).</summary>
    public GlyphBox Bounds(int glyph)
    {
        var (at, length) = GlyphData(glyph);
        return length == 0 ? default : new GlyphBox(S16(at + 2), S16(at + 4), S16(at + 6), S16(at + 8));
    }

    /// <summary>The glyph's contours, in font units; a composite glyph's components placed by their transforms.</summary>
    public List<List<OutlinePoint>> Outline(int glyph, int depth = 0)
    {
        var contours = new List<List<OutlinePoint>>();
        var (at, length) = GlyphData(glyph);
        if (length == 0 || depth > 8) return contours;
        int n = S16(at);
        if (n >= 0) return Simple(at, n);
        var p = at + 10;
        const int Words = 0x1, XyValues = 0x2, Scale = 0x8, More = 0x20, XyScale = 0x40, TwoByTwo = 0x80;
        int flags;
        do
        {
            flags = U16(p);
            var component = U16(p + 2);
            p += 4;
            double dx = (flags & Words) != 0 ? S16(p) : (sbyte)data[p], dy = (flags & Words) != 0 ? S16(p + 2) : (sbyte)data[p + 1];
            p += (flags & Words) != 0 ? 4 : 2;
            if ((flags & XyValues) == 0) (dx, dy) = (0, 0); // placement by matching points: not used by the fonts we ship
            double a = 1, b = 0, c = 0, d = 1;
            if ((flags & Scale) != 0) { a = d = F2Dot14(p); p += 2; }
            else if ((flags & XyScale) != 0) { (a, d) = (F2Dot14(p), F2Dot14(p + 2)); p += 4; }
            else if ((flags & TwoByTwo) != 0) { (a, b, c, d) = (F2Dot14(p), F2Dot14(p + 2), F2Dot14(p + 4), F2Dot14(p + 6)); p += 8; }
            foreach (var contour in Outline(component, depth + 1))
                contours.Add([.. contour.Select(q => new OutlinePoint(a * q.X + c * q.Y + dx, b * q.X + d * q.Y + dy, q.OnCurve))]);
        }
        while ((flags & More) != 0);
        return contours;
    }

    /// <summary>
    /// Contours as polygons: each quadratic piece cut into straight segments that stray at most <paramref name="tolerance"/>
    /// (in the outline's units) from the curve. Two control points in a row imply an on-curve point between them.
    /// </summary>
    public static List<List<(double X, double Y)>> Flatten(List<List<OutlinePoint>> contours, double tolerance)
    {
        var polygons = new List<List<(double, double)>>();
        foreach (var c in contours.Where(c => c.Count > 1))
        {
            // Start on the curve: at an on-curve point, or between the first two control points.
            var first = c.FindIndex(q => q.OnCurve);
            var start = first >= 0 ? c[first] : Mid(c[0], c[1]);
            // The points after the start, round to the start again.
            List<OutlinePoint> ring = first >= 0 ? [.. c.Skip(first + 1), .. c.Take(first + 1)] : [.. c.Skip(1), c[0], start];
            var poly = new List<(double X, double Y)> { (start.X, start.Y) };
            var pen = start;
            OutlinePoint? control = null;
            foreach (var q in ring)
            {
                if (control is not { } k)
                {
                    if (q.OnCurve) { poly.Add((q.X, q.Y)); pen = q; } else control = q;
                    continue;
                }
                var end = q.OnCurve ? q : Mid(k, q);
                Quad(poly, pen, k, end, tolerance);
                pen = end;
                control = q.OnCurve ? null : q;
            }
            polygons.Add(poly);
        }
        return polygons;
    }

    // The deviation of an n-piece chord approximation is at most |p0 - 2p1 + p2| / (8 n²).
    private static void Quad(List<(double X, double Y)> poly, OutlinePoint p0, OutlinePoint p1, OutlinePoint p2, double tolerance)
    {
        var bend = Math.Sqrt(Math.Pow(p0.X - 2 * p1.X + p2.X, 2) + Math.Pow(p0.Y - 2 * p1.Y + p2.Y, 2));
        var n = Math.Clamp((int)Math.Ceiling(Math.Sqrt(bend / (8 * tolerance))), 1, 64);
        for (var i = 1; i <= n; i++)
        {
            var t = (double)i / n;
            double u = 1 - t;
            poly.Add((u * u * p0.X + 2 * u * t * p1.X + t * t * p2.X, u * u * p0.Y + 2 * u * t * p1.Y + t * t * p2.Y));
        }
    }

    private static OutlinePoint Mid(OutlinePoint a, OutlinePoint b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2, true);

    // A simple glyph: contour end indices, instructions (skipped), flags (run-length coded), then x and y deltas.
    private List<List<OutlinePoint>> Simple(int at, int contours)
    {
        var ends = Enumerable.Range(0, contours).Select(i => U16(at + 10 + 2 * i)).ToArray();
        var count = contours == 0 ? 0 : ends[^1] + 1;
        var p = at + 10 + 2 * contours;
        p += 2 + U16(p);
        var flags = new byte[count];
        for (var i = 0; i < count;)
        {
            var f = data[p++];
            var repeat = (f & 0x8) != 0 ? data[p++] : 0;
            for (var r = 0; r <= repeat && i < count; r++) flags[i++] = f;
        }
        var xs = Coordinates(flags, ref p, 0x2, 0x10);
        var ys = Coordinates(flags, ref p, 0x4, 0x20);
        var result = new List<List<OutlinePoint>>();
        var from = 0;
        foreach (var end in ends)
        {
            result.Add([.. Enumerable.Range(from, end - from + 1).Select(i => new OutlinePoint(xs[i], ys[i], (flags[i] & 1) != 0))]);
            from = end + 1;
        }
        return result;
    }

    // Short: one unsigned byte, its sign in the "same" bit; long: a signed 16-bit delta, or none when "same" is set.
    private int[] Coordinates(byte[] flags, ref int p, int shortBit, int sameBit)
    {
        var values = new int[flags.Length];
        var v = 0;
        for (var i = 0; i < flags.Length; i++)
        {
            if ((flags[i] & shortBit) != 0) v += (flags[i] & sameBit) != 0 ? data[p++] : -data[p++];
            else if ((flags[i] & sameBit) == 0) { v += S16(p); p += 2; }
            values[i] = v;
        }
        return values;
    }

    private (int At, int Length) GlyphData(int glyph)
    {
        if (glyph < 0 || glyph >= GlyphCount) glyph = 0;
        var (a, b) = longLoca ? ((int)U32(loca + 4 * glyph), (int)U32(loca + 4 * glyph + 4)) : (2 * U16(loca + 2 * glyph), 2 * U16(loca + 2 * glyph + 2));
        return (glyf + a, b - a);
    }

    // Windows Unicode full repertoire (format 12) if present, else Windows or Unicode BMP (format 4).
    private int UnicodeSubtable()
    {
        var table = Table("cmap");
        int best = -1, bestRank = 0;
        for (var i = 0; i < U16(table + 2); i++)
        {
            var r = table + 4 + 8 * i;
            var sub = table + (int)U32(r + 4);
            var rank = (U16(r), U16(r + 2), U16(sub)) switch
            {
                (3, 10, 12) or (0, 4, 12) => 3,
                (3, 1, 4) => 2,
                (0, _, 4) => 1,
                _ => 0,
            };
            if (rank > bestRank) (best, bestRank) = (sub, rank);
        }
        return best >= 0 ? best : throw new InvalidDataException("the font has no Unicode cmap of format 4 or 12");
    }

    private int Table(string tag) => tables.TryGetValue(tag, out var t) ? t.Offset : throw new InvalidDataException($"the font has no '{tag}' table");

    private int U16(int at) => BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at));

    private short S16(int at) => BinaryPrimitives.ReadInt16BigEndian(data.AsSpan(at));

    private uint U32(int at) => BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));

    private double F2Dot14(int at) => S16(at) / 16384.0;
}

/// <summary>The fonts the charts use: DejaVu Sans and DejaVu Sans Bold, embedded in the runner (licence: Charts/Fonts/LICENSE).</summary>
internal static class Fonts
{
    private static readonly Lazy<TrueTypeFont> RegularFont = new(() => Load("DejaVuSans.ttf"));
    private static readonly Lazy<TrueTypeFont> BoldFont = new(() => Load("DejaVuSans-Bold.ttf"));

    /// <summary>DejaVu Sans.</summary>
    public static TrueTypeFont Regular => RegularFont.Value;

    /// <summary>DejaVu Sans Bold.</summary>
    public static TrueTypeFont Bold => BoldFont.Value;

    private static TrueTypeFont Load(string name)
    {
        using var stream = typeof(Fonts).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"the runner has no embedded font {name}");
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return new TrueTypeFont(bytes.ToArray());
    }
}
