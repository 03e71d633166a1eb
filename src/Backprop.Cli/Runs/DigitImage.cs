using System.Buffers.Binary;
using Backprop.Data;
using StbImageSharp;

namespace Backprop.Cli.Runs;

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
            if (Directory.Exists(path)) throw new DigitImageException(path, "is a folder, not an image");
            if (!File.Exists(path)) throw new DigitImageException(path, "does not exist");
            if (FileKind.NotRegularFile(path) is { } kind) throw new DigitImageException(path, $"is {kind}, not an image file"); // /dev/zero would never end
            var length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                throw new DigitImageException(path, $"is {length / 1e6:F0} MB, more than the {MaxFileBytes / 1_000_000} MB a picture of one digit can be: crop or scale it down");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DigitImageException(path, $"cannot be read ({e.Message.TrimEnd('.')})", e);
        }
        // The header's size first: a small file can claim a huge picture (a decompression bomb) and decode to gigabytes.
        if (Info(bytes) is { } info && info.Width * info.Height > MaxPixels)
            throw new DigitImageException(path, $"is {info.Width} × {info.Height} pixels, more than the {MaxPixels / 1_000_000} megapixels predict reads: crop or scale it down");
        var image = bytes.Length == 0 ? null : Decode(bytes);
        if (image is null) throw new DigitImageException(path, "is not an image StbImageSharp can decode (PNG or JPEG expected)");
        return FromGray(path, Gray(image.Data), image.Width, image.Height);
    }

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
            var image = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlueAlpha);
            return image.Width > 0 && image.Height > 0 && image.Data.Length == image.Width * image.Height * 4 ? image : null;
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>MNIST's form of a grayscale picture (<paramref name="gray"/>: bytes, row-major, <paramref name="w"/> × <paramref name="h"/>).</summary>
    public static float[] FromGray(string path, byte[] gray, int w, int h)
    {
        ArgumentNullException.ThrowIfNull(gray);
        // The border is background: a light one means a dark digit, which MNIST stores inverted.
        var border = Enumerable.Range(0, w).SelectMany(x => new[] { gray[x], gray[(h - 1) * w + x] })
            .Concat(Enumerable.Range(0, h).SelectMany(y => new[] { gray[y * w], gray[y * w + w - 1] })).Order().ToArray();
        var invert = border.Select(b => (double)b).Average() > 127.5;
        var px = invert ? [.. gray.Select(b => (byte)(255 - b))] : gray;
        if (w == Side && h == Side) return [.. px.Select(b => b / 256f)];

        double bg = invert ? 255 - border[border.Length / 2] : border[border.Length / 2];
        double top = px.Max();
        if (top - bg < 32) throw new DigitImageException(path, $"holds no digit: it is one flat shade ({w}×{h})");
        // Ink in [0, 1]: the background level to 0, the strongest stroke to 1; faint noise (JPEG, paper) below 0.1 dropped.
        var ink = px.Select(b => { var v = (b - bg) / (top - bg); return v < 0.1 ? 0 : Math.Min(1, v); }).ToArray();

        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                if (ink[y * w + x] > 0.2) (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
        double mass = 0, cx = 0, cy = 0;
        for (var y = y0; y <= y1; y++)
            for (var x = x0; x <= x1; x++)
            {
                var v = ink[y * w + x];
                (mass, cx, cy) = (mass + v, cx + v * (x + 0.5), cy + v * (y + 0.5));
            }
        (cx, cy) = (cx / mass, cy / mass);

        // Destination coordinate d = (p - centre of mass)·s + 14: each of the 28 columns (rows) averages the source span it covers.
        var s = (double)Fit / Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        var wx = Spans(cx, s, x0, x1);
        var wy = Spans(cy, s, y0, y1);
        var rows = new double[h, Side];
        for (var y = y0; y <= y1; y++)
            for (var j = 0; j < Side; j++)
                foreach (var (x, weight) in wx[j]) rows[y, j] += weight * ink[y * w + x];
        var img = new float[Side * Side];
        for (var i = 0; i < Side; i++)
            for (var j = 0; j < Side; j++)
            {
                double v = 0;
                foreach (var (y, weight) in wy[i]) v += weight * rows[y, j];
                img[i * Side + j] = (byte)Math.Round(Math.Clamp(v, 0, 1) * 255) / 256f;
            }
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

    // Luminance (ITU-R 601), transparent pixels over white; rgba: 4 bytes a pixel, not premultiplied.
    private static byte[] Gray(byte[] rgba)
    {
        var gray = new byte[rgba.Length / 4];
        for (var i = 0; i < gray.Length; i++)
        {
            var (r, g, b, a) = (rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2], rgba[4 * i + 3]);
            var lum = 0.299 * r + 0.587 * g + 0.114 * b;
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
