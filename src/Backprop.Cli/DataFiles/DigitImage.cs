using System.Buffers.Binary;
using Backprop.Data;
using StbImageSharp;

namespace Backprop.Cli.DataFiles;

/// <summary>
/// A user's picture of a digit brought to MNIST's form, as MNIST itself was made: grayscale, light digit on a dark
/// background, cropped to the digit's bounding box, scaled to fit 20 × 20 keeping its aspect, placed in 28 × 28 with
/// its centre of mass at the centre, then bytes / 256 as in training. A picture already 28 × 28 is taken as MNIST's
/// form and only brought to a dark background.
/// </summary>
internal static class DigitImage
{
    private const int Side = 28, Fit = 20;

    /// <summary>Reads the PNG or JPEG (or BMP, GIF, TGA: what StbImageSharp decodes) <paramref name="path"/> and returns its (784) MNIST pixels.</summary>
    /// <exception cref="DigitImageException">The file is missing, unreadable, not an image, or holds no digit.</exception>
    public static float[] Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            using var file = PlainFile.OpenRead(path); // a FIFO would block, /dev/zero would never end
            if (file.Length > MaxFileBytes)
                throw new DigitImageException(path, $"is {file.Length:N0} bytes, more than the {MaxFileBytes:N0} (64 MB) a picture of one digit can be: crop or scale it down");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (NotPlainFileException e)
        {
            throw new DigitImageException(path, $"is {e.Kind}, not an image file", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DigitImageException(path, "does not exist", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DigitImageException(path, "changed while it was read; try again", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DigitImageException(path, $"cannot be read ({e.Message.TrimEnd('.')})", e);
        }
        // The header's size first: a small file can claim a huge picture (a decompression bomb) and decode to gigabytes.
        if (Info(bytes) is { } info && info.Width * info.Height > MaxPixels)
            throw new DigitImageException(path, $"is {info.Width} × {info.Height} pixels, more than the {MaxPixels / 1_000_000} megapixels predict reads: crop or scale it down");
        if (Info(bytes) is var (iw, ih) && Math.Max(iw, ih) > MaxAspect * Math.Max(1, Math.Min(iw, ih)))
            throw new DigitImageException(path, $"is {iw} × {ih} pixels, more than {MaxAspect} times as long as it is wide: not a picture of one digit");
        if (Truncated(bytes) is { } cut) throw new DigitImageException(path, cut);
        if (IsJpeg(bytes) && Info(bytes) is { } jpeg && jpeg.Width * jpeg.Height > MaxJpegPixelsPerByte * bytes.Length)
            throw new DigitImageException(path, $"claims {jpeg.Width} × {jpeg.Height} pixels in {bytes.Length:N0} bytes, far more than a JPEG that size can hold: the file is damaged or crafted");
        var image = bytes.Length == 0 ? null : Decode(bytes);
        if (image is null) throw new DigitImageException(path, "is not an image StbImageSharp can decode (PNG or JPEG expected)");
        return FromGray(path, Gray(image.Data), image.Width, image.Height);
    }

    /// <summary>
    /// The most pixels a JPEG may claim per byte of file: each 8 × 8 block of a baseline JPEG costs at least 2 bits (its
    /// DC code and its end-of-block), 256 pixels a byte; four times that leaves room for progressive files. A 1.2 KB
    /// file claiming 7000 × 7000 (it decodes to 850 MB of filler) is refused by its header.
    /// </summary>
    public const long MaxJpegPixelsPerByte = 1024;

    private static bool IsJpeg(ReadOnlySpan<byte> b) => b.StartsWith((ReadOnlySpan<byte>)[0xff, 0xd8]);

    // StbImageSharp decodes a cut file, filling what is missing with grey: a PNG must reach its IEND chunk, a JPEG its
    // end-of-image marker after its first scan.
    private static string? Truncated(ReadOnlySpan<byte> b)
    {
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) && b.LastIndexOf("IEND"u8) < 0)
            return "is a truncated PNG (it has no IEND chunk); save or copy it again";
        if (IsJpeg(b) && (b.IndexOf((ReadOnlySpan<byte>)[0xff, 0xda]) is var scan && (scan < 0 || b[scan..].LastIndexOf((ReadOnlySpan<byte>)[0xff, 0xd9]) < 0)))
            return "is a truncated JPEG (it has no end-of-image marker after its image data); save or copy it again";
        return null;
    }

    /// <summary>How much longer than wide (or wide than long) a picture of one digit may be: a tight crop of a 1 is about 5.</summary>
    public const int MaxAspect = 50;

    /// <summary>The largest picture file predict reads (a phone photo is a few MB).</summary>
    public const long MaxFileBytes = 64_000_000;

    /// <summary>The most pixels predict decodes (a 48-megapixel photo at 4 bytes a pixel is 192 MB of memory).</summary>
    public const long MaxPixels = 50_000_000;

    // StbImageSharp's header reader; for a PNG too large for it to describe, the IHDR chunk's own width and height.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "a header StbImageSharp cannot read is left to Decode to refuse")]
    private static (long Width, long Height)? Info(byte[] bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            if (ImageInfo.FromStream(stream) is { } info) return (info.Width, info.Height);
        }
        catch (Exception)
        {
        }
        return PngSize(bytes) is var (w, h) ? (w, h) : null;
    }

    /// <summary>The width and height a PNG's header (its signature, then the IHDR chunk) states, without decoding; <see langword="null"/> for a file that does not start as a PNG.</summary>
    internal static (uint Width, uint Height)? PngSize(ReadOnlySpan<byte> file) =>
        file.Length >= 24 && file.StartsWith(PngSignature) && file[12..16].SequenceEqual("IHDR"u8)
            ? (BinaryPrimitives.ReadUInt32BigEndian(file[16..]), BinaryPrimitives.ReadUInt32BigEndian(file[20..]))
            : null;

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    // StbImageSharp reports a file it cannot decode (unknown format, truncated, corrupt) by throwing: any exception means "not an image".
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "every decoder failure is the same answer to the user")]
    private static ImageResult? Decode(byte[] bytes)
    {
        try
        {
            // Grey and alpha, 2 bytes a pixel: half of RGBA's memory for a large picture.
            var image = ImageResult.FromMemory(bytes, ColorComponents.GreyAlpha);
            return image.Width > 0 && image.Height > 0 && image.Data.Length == (long)image.Width * image.Height * 2 ? image : null;
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>MNIST's form of a grayscale picture (<paramref name="gray"/>: bytes, row-major, <paramref name="w"/> × <paramref name="h"/>; inverted in place when the digit is dark).</summary>
    public static float[] FromGray(string path, byte[] gray, int w, int h)
    {
        ArgumentNullException.ThrowIfNull(gray);
        // The border is background: a light one means a dark digit, which MNIST stores inverted.
        var border = new byte[2 * w + 2 * h];
        for (var x = 0; x < w; x++) (border[2 * x], border[2 * x + 1]) = (gray[x], gray[(long)(h - 1) * w + x]);
        for (var y = 0; y < h; y++) (border[2 * w + 2 * y], border[2 * w + 2 * y + 1]) = (gray[(long)y * w], gray[(long)y * w + w - 1]);
        Array.Sort(border);
        var invert = border.Average(b => (double)b) > 127.5;
        var px = gray;
        if (invert) for (var i = 0; i < px.Length; i++) px[i] = (byte)(255 - px[i]); // gray is ours to change
        double bg = invert ? 255 - border[border.Length / 2] : border[border.Length / 2];
        double top = px.Max();
        if (top - bg < 32) throw new DigitImageException(path, $"holds no digit: it is one flat shade ({w}×{h})");
        if (w == Side && h == Side) return [.. px.Select(b => b / 256f)];

        // Ink in [0, 1]: the background level to 0, the strongest stroke to 1; faint noise (JPEG, paper) below 0.1 dropped.
        // Computed where it is needed, never stored: a 50-megapixel picture would need 400 MB of it.
        double Ink(long i) { var v = (px[i] - bg) / (top - bg); return v < 0.1 ? 0 : Math.Min(1, v); }

        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                if (Ink((long)y * w + x) > 0.2) (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
        double mass = 0, cx = 0, cy = 0;
        for (var y = y0; y <= y1; y++)
            for (var x = x0; x <= x1; x++)
            {
                var v = Ink((long)y * w + x);
                (mass, cx, cy) = (mass + v, cx + v * (x + 0.5), cy + v * (y + 0.5));
            }
        (cx, cy) = (cx / mass, cy / mass);

        // Destination coordinate d = (p - centre of mass)·s + 14: each of the 28 columns (rows) averages the source span it
        // covers. Row by row: a source row's 28 column sums go straight into the destination rows it covers.
        var s = (double)Fit / Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        var wx = Spans(cx, s, x0, x1);
        var wy = Spans(cy, s, y0, y1);
        var acc = new double[Side * Side];
        var row = new double[Side];
        for (var i = 0; i < Side; i++)
            foreach (var (y, weight) in wy[i])
            {
                for (var j = 0; j < Side; j++)
                {
                    row[j] = 0;
                    foreach (var (x, wj) in wx[j]) row[j] += wj * Ink((long)y * w + x);
                }
                for (var j = 0; j < Side; j++) acc[i * Side + j] += weight * row[j];
            }
        var img = new float[Side * Side];
        for (var k = 0; k < img.Length; k++) img[k] = (byte)Math.Round(Math.Clamp(acc[k], 0, 1) * 255) / 256f;
        return img;
    }

    // For each destination pixel k, the source pixels in [lo, hi] it overlaps and the share of its span each covers.
    private static List<(int Pixel, double Weight)>[] Spans(double centre, double s, int lo, int hi)
    {
        var spans = new List<(int, double)>[Side];
        for (var k = 0; k < Side; k++)
        {
            double a = (k - Side / 2.0) / s + centre, b = (k + 1 - Side / 2.0) / s + centre;
            spans[k] = [];
            for (var p = Math.Max(lo, (int)Math.Floor(a)); p <= Math.Min(hi, (int)Math.Ceiling(b) - 1); p++)
            {
                var overlap = Math.Min(b, p + 1) - Math.Max(a, p);
                if (overlap > 0) spans[k].Add((p, overlap / (b - a)));
            }
        }
        return spans;
    }

    // StbImageSharp's luminance ((77 r + 150 g + 29 b) / 256, ITU-R 601's weights), transparent pixels over white;
    // grey: 2 bytes a pixel, luminance and alpha, not premultiplied.
    private static byte[] Gray(byte[] grey)
    {
        var gray = new byte[grey.Length / 2];
        for (var i = 0; i < gray.Length; i++)
        {
            var (lum, a) = (grey[2 * i], grey[2 * i + 1]);
            gray[i] = (byte)Math.Round((lum * a + 255.0 * (255 - a)) / 255);
        }
        return gray;
    }
}

/// <summary>An image given to <c>backprop predict</c> is missing, unreadable, not an image, or holds no digit.</summary>
internal sealed class DigitImageException(string file, string problem, Exception? inner = null)
    : Exception($"{file} {problem}", inner)
{
    /// <summary>The image file.</summary>
    public string File { get; } = file;
}
