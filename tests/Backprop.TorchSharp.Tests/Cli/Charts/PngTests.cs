using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Backprop.Cli.Charts;
using StbImageSharp;

namespace Backprop.Tests.Cli.Charts;

/// <summary>Our PNG encoder, read back by StbImageSharp and by .NET's own zlib; our CRC-32s against their published check values.</summary>
public sealed class PngTests
{
    private static byte[] Noise(int w, int h, int seed)
    {
        var rgba = new byte[w * h * 4];
        new Random(seed).NextBytes(rgba);
        return rgba;
    }

    [Fact]
    public void A_png_decodes_to_exactly_the_pixels_encoded_alpha_included()
    {
        var rgba = Noise(37, 23, 1);
        for (var i = 0; i < 200; i++) rgba[i] = 7; // a flat run too, which the Sub filter turns into zeros

        var image = ImageResult.FromMemory(Png.Encode(37, 23, rgba), ColorComponents.RedGreenBlueAlpha);

        Assert.Equal((37, 23), (image.Width, image.Height));
        Assert.Equal(rgba, image.Data);
    }

    [Fact]
    public void The_chunks_carry_correct_crcs_and_the_idat_is_valid_zlib_of_filtered_rows()
    {
        var png = Png.Encode(5, 3, Noise(5, 3, 2));

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        // IEND is empty, so its CRC is the same in every PNG file: AE 42 60 82.
        Assert.Equal(new byte[] { 0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82 }, png[^12..]);
        var chunks = new List<string>();
        for (var at = 8; at < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var type = Encoding.ASCII.GetString(png, at + 4, 4);
            chunks.Add(type);
            Assert.Equal(Crc32.Iso.Of(png.AsSpan(at + 4, 4 + length)), BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)));
            if (type == "IDAT")
            {
                using var z = new ZLibStream(new MemoryStream(png, at + 8, length), CompressionMode.Decompress); // checks the Adler-32 too
                using var rows = new MemoryStream();
                z.CopyTo(rows);
                Assert.Equal(3 * (1 + 5 * 4), rows.Length);
            }
            at += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks);
    }

    [Fact]
    public void Both_crc32s_give_their_published_check_values()
    {
        var check = "123456789"u8;

        Assert.Equal(0xCBF43926u, Crc32.Iso.Of(check));        // CRC-32 (ISO-HDLC: PNG, zip)
        Assert.Equal(0xE3069283u, Crc32.Castagnoli.Of(check)); // CRC-32C (iSCSI: TFRecord)
        Assert.Equal(0u, Crc32.Iso.Of([]));
    }

    [Fact]
    public void A_buffer_of_the_wrong_size_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Png.Encode(4, 4, new byte[60]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Png.Encode(0, 4, []));
    }

    [Fact]
    public void The_size_is_read_from_the_header_alone_and_only_from_a_png()
    {
        var png = Png.Encode(37, 5, new byte[37 * 5 * 4]);
        Assert.Equal((37u, 5u), Png.Size(png));
        Assert.Equal((37u, 5u), Png.Size(png.AsSpan(0, 24))); // the header is enough: nothing is decoded
        Assert.Null(Png.Size(png.AsSpan(0, 23)));
        png[1] = (byte)'J'; // not the PNG signature
        Assert.Null(Png.Size(png));
    }
}
