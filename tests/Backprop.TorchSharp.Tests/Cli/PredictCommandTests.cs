using System.Buffers.Binary;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Cli.DataFiles;
using Backprop.Cli.Runs;
using ICSharpCode.SharpZipLib.Checksum;
using StbImageWriteSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Cli;

/// <summary>The shared one-epoch model (<see cref="TrainedRun"/>), its own predictions on the first test digits, and those digits as picture files.</summary>
public sealed class PredictFixture : IDisposable
{
    public const int Digits = 50;

    internal TempDir Dir { get; } = new();

    public string Checkpoint { get; }

    /// <summary>The model's argmax on the first <see cref="Digits"/> test images, as it sees them in training.</summary>
    public long[] Expected { get; }

    /// <summary>The same digits' bytes (784 each).</summary>
    public byte[][] Bytes { get; }

    public PredictFixture(TrainedRun run, MnistFixture data)
    {
        Checkpoint = run.Checkpoint;
        var mnist = data.Mnist;
        using var model = CheckpointModel.Load(CheckpointFile.Load(Checkpoint), Checkpoint, CPU);
        using var scope = NewDisposeScope();
        var x = mnist.XTest[..Digits];
        Expected = model.call(x).argmax(1).data<long>().ToArray();
        Bytes = [.. Enumerable.Range(0, Digits).Select(i => x[i].data<float>().ToArray().Select(v => (byte)Math.Round(v * 256)).ToArray())];
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary><c>backprop predict</c> on pictures made from MNIST test digits, and on files that are not pictures of a digit.</summary>
[Collection(MnistGroup.Name)]
public sealed class PredictCommandTests(PredictFixture f) : IClassFixture<PredictFixture>
{
    /// <summary>
    /// Writes digit <paramref name="i"/> to a PNG (our encoder) or JPEG (StbImageWriteSharp, quality 95):
    /// <paramref name="scale"/> times larger, bilinearly, on a <paramref name="w"/> × <paramref name="h"/> canvas.
    /// </summary>
    private string Render(int i, bool darkOnLight, int w = 28, int h = 28, int scale = 1, string format = "png")
    {
        byte Digit(int x, int y) { var b = f.Bytes[i][Math.Clamp(y, 0, 27) * 28 + Math.Clamp(x, 0, 27)]; return darkOnLight ? (byte)(255 - b) : b; }
        var (ox, oy) = scale == 1 ? (0, 0) : ((w - 28 * scale) / 2 + 7, (h - 28 * scale) / 2 - 3); // off centre on purpose
        var rgba = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                double v = darkOnLight ? 255 : 0;
                if (x >= ox && x < ox + 28 * scale && y >= oy && y < oy + 28 * scale)
                {
                    // The source point under this pixel's centre, between the four source pixels around it.
                    double sx = (x - ox + 0.5) / scale - 0.5, sy = (y - oy + 0.5) / scale - 0.5;
                    int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                    double fx = sx - x0, fy = sy - y0;
                    v = (1 - fy) * ((1 - fx) * Digit(x0, y0) + fx * Digit(x0 + 1, y0)) + fy * ((1 - fx) * Digit(x0, y0 + 1) + fx * Digit(x0 + 1, y0 + 1));
                }
                rgba.AsSpan((y * w + x) * 4, 4).Fill((byte)Math.Round(v));
                rgba[(y * w + x) * 4 + 3] = 255;
            }
        var path = f.Dir.File($"digit{i}-{(darkOnLight ? "dark" : "light")}-{w}x{h}.{format}");
        if (format == "png") File.WriteAllBytes(path, Png(w, h, rgba));
        else using (var file = File.Create(path)) new ImageWriter().WriteJpg(rgba, w, h, ColorComponents.RedGreenBlueAlpha, file, 95);
        return path;
    }

    private static byte[] Png(int w, int h, byte[] rgba)
    {
        using var png = new MemoryStream();
        new ImageWriter().WritePng(rgba, w, h, ColorComponents.RedGreenBlueAlpha, png);
        return png.ToArray();
    }

    /// <summary>The PNG with its header changed to claim <paramref name="w"/> × <paramref name="h"/> pixels, its CRC made right.</summary>
    private static byte[] Claiming(byte[] png, uint w, uint h)
    {
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), w); // IHDR data starts at 16: width, then height
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), h);
        var crc = new Crc32();
        crc.Update(new ArraySegment<byte>(png, 12, 17)); // "IHDR" and its 13 bytes
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), (uint)crc.Value);
        return png;
    }

    private int[] Predict(string[] files)
    {
        var (code, stdout, err) = BackpropAppTests.Run(["predict", f.Checkpoint, .. files, "--json"]);
        Assert.True(code == ExitCodes.Ok, err);
        using var doc = JsonDocument.Parse(stdout);
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(files, items.Select(e => e.GetProperty("file").GetString()));
        foreach (var e in items)
        {
            var top = e.GetProperty("top").EnumerateArray().Select(t => t.GetProperty("probability").GetDouble()).ToArray();
            Assert.Equal(3, top.Length);
            Assert.True(top[0] >= top[1] && top[1] >= top[2] && top.Sum() <= 1 + 1e-9, string.Join(", ", top));
        }
        return [.. items.Select(e => e.GetProperty("digit").GetInt32())];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_unscaled_28x28_picture_gets_the_models_own_prediction_in_either_polarity(bool darkOnLight)
    {
        var files = Enumerable.Range(0, PredictFixture.Digits).Select(i => Render(i, darkOnLight)).ToArray();

        Assert.Equal(f.Expected.Select(e => (int)e), Predict(files));
    }

    [Theory]
    [InlineData(false, "png")]
    [InlineData(true, "png")]
    [InlineData(true, "jpg")]
    public void A_large_off_centre_picture_is_brought_to_mnists_form_and_gets_nearly_always_the_same_prediction(bool darkOnLight, string format)
    {
        var files = Enumerable.Range(0, PredictFixture.Digits).Select(i => Render(i, darkOnLight, 200, 150, 5, format)).ToArray();

        var agree = Predict(files).Zip(f.Expected).Count(p => p.First == p.Second);

        Assert.InRange(agree, PredictFixture.Digits - 2, PredictFixture.Digits); // measured: all 50 in each case
    }

    [Fact]
    public void The_plain_output_names_each_file_with_its_top_three()
    {
        var file = Render(0, darkOnLight: true, 200, 150, 5);

        var (code, stdout, _) = BackpropAppTests.Run("predict", f.Checkpoint, file);

        Assert.Equal(ExitCodes.Ok, code);
        var line = stdout.Split('\n').Single(l => l.StartsWith(file, StringComparison.Ordinal));
        Assert.Equal(3, line.Split(": ").Length - 2); // "FILE: 7   (7: 0.99, 1: 0.00, 9: 0.00)"
        Assert.Contains($"{file}: {f.Expected[0]} ", line);
    }

    [Fact]
    public void Files_that_are_not_pictures_of_a_digit_are_each_named_and_nothing_is_predicted()
    {
        var good = Render(0, darkOnLight: false);
        var empty = f.Dir.File("empty.png");
        File.WriteAllBytes(empty, []);
        var text = f.Dir.File("notes.png");
        File.WriteAllText(text, "not an image");
        var truncated = f.Dir.File("truncated.png");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Render(1, false, 200, 150, 5))[..40]);
        var blank = f.Dir.File("blank.png");
        File.WriteAllBytes(blank, Png(64, 64, [.. Enumerable.Repeat((byte)255, 64 * 64 * 4)]));
        var missing = f.Dir.File("missing.png");

        var (code, stdout, err) = BackpropAppTests.Run("predict", f.Checkpoint, good, empty, text, truncated, blank, missing, f.Dir.Path);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("", stdout);
        foreach (var bad in new[] { empty, text, truncated, blank, missing, f.Dir.Path })
            Assert.Contains($"error: {bad} ", err);
        Assert.DoesNotContain(good, err);
        Assert.Contains("holds no digit", err);
        Assert.Contains("does not exist", err);
    }

    [Fact]
    public void A_picture_too_large_to_decode_and_files_that_never_end_are_refused_before_they_are_read()
    {
        // A real 8 × 8 PNG whose header then claims 30000 × 30000: 3.6 GB decoded, from a file of a few hundred bytes.
        var bomb = f.Dir.File("bomb.png");
        File.WriteAllBytes(bomb, Claiming(Png(8, 8, new byte[8 * 8 * 4]), 30_000, 30_000));
        string[] endless = OperatingSystem.IsLinux() ? ["/dev/zero"] : [];

        var (code, stdout, err) = BackpropAppTests.Run(["predict", f.Checkpoint, bomb, .. endless]);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("", stdout);
        Assert.Contains($"error: {bomb} is 30000 × 30000 pixels, more than the 50 megapixels predict reads", err);
        if (OperatingSystem.IsLinux()) Assert.Contains("error: /dev/zero is a character device, not an image file", err);
    }

    [Fact]
    public void Flat_28x28_cut_and_implausible_pictures_are_refused_by_name()
    {
        var flat = f.Dir.File("flat28.png");
        File.WriteAllBytes(flat, Png(28, 28, [.. Enumerable.Repeat((byte)200, 28 * 28 * 4)]));
        var jpeg = File.ReadAllBytes(Render(2, darkOnLight: true, 200, 150, 5, "jpg"));
        var half = f.Dir.File("half.jpg");
        File.WriteAllBytes(half, jpeg[..(jpeg.Length / 2)]);
        // The JPEG's own header (SOF0: FF C0, length, precision, height, width) made to claim 7000 × 7000 in a few KB.
        var claims = f.Dir.File("claims.jpg");
        var sof = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xff, 0xc0]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 7000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 7000);
        File.WriteAllBytes(claims, jpeg);
        // An 8 × 8 PNG whose header claims 3 × 16,000,000: under 50 megapixels, and no picture of one digit.
        var tall = f.Dir.File("tall.png");
        File.WriteAllBytes(tall, Claiming(Png(8, 8, new byte[8 * 8 * 4]), 3, 16_000_000));
        var cut = f.Dir.File("cut.png");
        var whole = File.ReadAllBytes(Render(3, darkOnLight: false, 200, 150, 5));
        File.WriteAllBytes(cut, whole[..^12]); // no IEND

        var (code, stdout, err) = BackpropAppTests.Run("predict", f.Checkpoint, flat, half, claims, tall, cut);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("", stdout);
        Assert.Contains($"error: {flat} holds no digit: it is one flat shade (28×28)", err);
        Assert.Contains($"error: {half} is a truncated JPEG", err);
        Assert.Contains($"error: {claims} claims 7000 × 7000 pixels in {jpeg.Length:N0} bytes", err);
        Assert.Contains($"error: {tall} is 3 × 16000000 pixels, more than 50 times as long as it is wide", err);
        Assert.Contains($"error: {cut} is a truncated PNG", err);
    }

    [Fact]
    public void A_png_s_size_is_read_from_its_header_alone()
    {
        var png = Png(37, 5, new byte[37 * 5 * 4]);

        Assert.Equal((37u, 5u), DigitImage.PngSize(png));
        Assert.Equal((37u, 5u), DigitImage.PngSize(png.AsSpan(0, 24))); // the signature and IHDR's size: nothing is decoded
        Assert.Null(DigitImage.PngSize(png.AsSpan(0, 23)));
        png[1] = (byte)'Q';
        Assert.Null(DigitImage.PngSize(png));
    }
}
