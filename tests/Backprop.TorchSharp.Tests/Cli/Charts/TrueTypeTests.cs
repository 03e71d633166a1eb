using System.Buffers.Binary;
using System.Text;
using Backprop.Cli.Charts;

namespace Backprop.Tests.Cli.Charts;

/// <summary>
/// Our TrueType reader against DejaVu Sans's own numbers, read here by a second, minimal reader of the table directory,
/// hhea, hmtx, head, loca and the glyf headers; and text as it lands on a canvas.
/// </summary>
public sealed class TrueTypeTests
{
    private static readonly byte[] FontBytes = File.ReadAllBytes(Path.Combine(Repo.Root, "src", "Backprop.Cli", "Charts", "Fonts", "DejaVuSans.ttf"));

    /// <summary>What the font's tables say of glyph <paramref name="g"/>: its advance, its glyf box and its contour count (negative: composite).</summary>
    private static (int Advance, int XMin, int YMin, int XMax, int YMax, int Contours) Tables(int g)
    {
        var f = FontBytes;
        int U16(int at) => (f[at] << 8) | f[at + 1];
        int S16(int at) => (short)U16(at);
        int Find(string tag)
        {
            for (var r = 12; r < 12 + 16 * U16(4); r += 16)
                if (Encoding.ASCII.GetString(f, r, 4) == tag) return (int)BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(r + 8));
            throw new InvalidDataException(tag);
        }
        var metrics = U16(Find("hhea") + 34);
        var advance = U16(Find("hmtx") + 4 * Math.Min(g, metrics - 1));
        var loca = Find("loca");
        var glyphAt = S16(Find("head") + 50) == 0 ? 2 * U16(loca + 2 * g) : (int)BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(loca + 4 * g));
        var at = Find("glyf") + glyphAt;
        return (advance, S16(at + 2), S16(at + 4), S16(at + 6), S16(at + 8), S16(at));
    }

    [Theory]
    [InlineData('H')]
    [InlineData('g')]
    [InlineData('0')]
    [InlineData('@')]
    [InlineData('é')] // composite in DejaVu: e and an acute accent
    [InlineData('Ä')]
    public void Advances_and_outlines_agree_with_the_fonts_own_tables(char c)
    {
        var font = new TrueTypeFont(FontBytes);
        var g = font.GlyphIndex(c);
        var t = Tables(g);

        Assert.NotEqual(0, g);
        Assert.Equal(t.Advance, font.Advance(g));
        Assert.Equal(new GlyphBox(t.XMin, t.YMin, t.XMax, t.YMax), font.Bounds(g));
        // The outline's points span exactly the box the font records for the glyph, components placed where they belong.
        var points = font.Outline(g).SelectMany(p => p).ToList();
        Assert.Equal((t.XMin, t.YMin, t.XMax, t.YMax), ((int)points.Min(p => p.X), (int)points.Min(p => p.Y), (int)points.Max(p => p.X), (int)points.Max(p => p.Y)));
        if (t.Contours < 0) Assert.True(font.Outline(g).Count >= 2, "a composite has its components' contours");
    }

    [Fact]
    public void The_metrics_are_those_of_dejavu_sans_and_an_unmapped_character_gets_the_notdef_glyph()
    {
        var font = new TrueTypeFont(FontBytes);

        Assert.Equal(2048, font.UnitsPerEm);
        Assert.True(font.Ascender > 0 && font.Descender < 0);
        Assert.Equal(0, font.GlyphIndex(0x0378)); // unassigned
        Assert.Equal(0, font.GlyphIndex(0x10FFFD)); // private use, plane 16
        Assert.Empty(font.Outline(font.GlyphIndex(' '))); // a space has no outline
        Assert.Equal(default, font.Bounds(font.GlyphIndex(' ')));
        Assert.Equal(font.GlyphIndex('A') + 1, font.GlyphIndex('B')); // DejaVu numbers its Latin capitals in order
    }

    [Fact]
    public void An_h_inks_its_box_and_its_stems_but_not_the_gap_between_them()
    {
        var font = new TrueTypeFont(FontBytes);
        var g = font.GlyphIndex('H');
        var t = Tables(g);
        var canvas = new Canvas(200, 200, Rgba.White);
        const double Size = 100;
        var s = Size / 2048;

        canvas.Text(font, Size, "H", 20, 30, Rgba.Black);

        var baseline = 30 + font.Ascender * s;
        var ink = Enumerable.Range(0, 200).SelectMany(y => Enumerable.Range(0, 200).Select(x => (x, y))).Where(p => canvas[p.x, p.y].R < 128).ToList();
        Assert.InRange(ink.Min(p => p.x), 20 + t.XMin * s - 1, 20 + t.XMin * s + 1);
        Assert.InRange(ink.Max(p => p.x) + 1, 20 + t.XMax * s - 1, 20 + t.XMax * s + 1);
        Assert.InRange(ink.Min(p => p.y), baseline - t.YMax * s - 1, baseline - t.YMax * s + 1);
        Assert.InRange(ink.Max(p => p.y) + 1, baseline - t.YMin * s - 1, baseline - t.YMin * s + 1);
        var (midX, topY) = ((int)(20 + (t.XMin + t.XMax) / 2.0 * s), (int)(baseline - t.YMax * s + 5));
        Assert.Equal(Rgba.White, canvas[midX, topY]);                              // between the stems, at the top
        Assert.Equal(Rgba.Black, canvas[(int)(20 + t.XMin * s + 3), topY]);        // the left stem
        Assert.Equal(Rgba.Black, canvas[midX, (int)(baseline - t.YMax * s / 2)]);  // the crossbar, half way up
        // Antialiased: the edges hold grays, not only black and white.
        Assert.Contains(Enumerable.Range(0, 200), x => canvas[x, (int)baseline - 20].R is > 20 and < 235);
    }

    [Fact]
    public void Text_advances_by_the_sum_of_its_glyphs_advances()
    {
        var font = new TrueTypeFont(FontBytes);

        var width = Canvas.TextWidth(font, 20, "loss 0.25");

        Assert.Equal("loss 0.25".Sum(c => Tables(font.GlyphIndex(c)).Advance) * 20.0 / 2048, width, 9);
    }

    [Fact]
    public void The_embedded_fonts_are_dejavu_sans_and_its_bold()
    {
        double Ink(TrueTypeFont font)
        {
            var canvas = new Canvas(120, 60, Rgba.White);
            canvas.Text(font, 40, "Hm", 5, 5, Rgba.Black);
            return canvas.Pixels.Where((_, i) => i % 4 == 0).Sum(r => (255 - r) / 255.0);
        }

        Assert.Equal(new TrueTypeFont(FontBytes).GlyphCount, Fonts.Regular.GlyphCount);
        Assert.Equal(Ink(new TrueTypeFont(FontBytes)), Ink(Fonts.Regular));
        Assert.True(Ink(Fonts.Bold) > 1.3 * Ink(Fonts.Regular), "bold strokes are heavier");
    }
}
