using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Backprop.Cli.Charts;

/// <summary>
/// A PNG encoder for 8-bit RGBA pixels (PNG specification, ISO/IEC 15948): signature, IHDR, one IDAT (zlib of the
/// filtered rows), IEND; every chunk closed by its CRC-32.
/// </summary>
internal static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes <paramref name="rgba"/> (<paramref name="width"/> × <paramref name="height"/> × 4 bytes, row-major, not premultiplied) to the file <paramref name="path"/>.</summary>
    public static void Save(string path, int width, int height, byte[] rgba)
    {
        var png = Encode(width, height, rgba);
        using var file = File.Create(path);
        file.Write(png);
    }

    /// <summary>
    /// The width and height a PNG file's header (its signature, then the IHDR chunk) states, without decoding anything;
    /// <see langword="null"/> when <paramref name="file"/> does not start as a PNG.
    /// </summary>
    public static (uint Width, uint Height)? Size(ReadOnlySpan<byte> file) =>
        file.Length >= 24 && file.StartsWith(Signature) && file[12..16].SequenceEqual("IHDR"u8)
            ? (BinaryPrimitives.ReadUInt32BigEndian(file[16..]), BinaryPrimitives.ReadUInt32BigEndian(file[20..]))
            : null;

    /// <summary>The PNG file of <paramref name="rgba"/> as bytes.</summary>
    public static byte[] Encode(int width, int height, byte[] rgba)
    {
        ArgumentNullException.ThrowIfNull(rgba);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgba.Length != (long)width * height * 4) throw new ArgumentException($"{rgba.Length} bytes for {width}×{height} RGBA pixels", nameof(rgba));

        using var output = new MemoryStream();
        output.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bits per channel
        header[9] = 6; // colour type: truecolour with alpha; [10..12]: deflate, adaptive filtering, no interlace
        Chunk(output, "IHDR", header);
        Chunk(output, "IDAT", Deflate(width, height, rgba));
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    // Each row after a filter byte: Sub (1), each byte minus the one a pixel to its left, which charts' flat runs compress well.
    private static byte[] Deflate(int width, int height, byte[] rgba)
    {
        using var packed = new MemoryStream();
        using (var z = new ZLibStream(packed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var stride = width * 4;
            var row = new byte[stride + 1];
            row[0] = 1;
            for (var y = 0; y < height; y++)
            {
                var line = rgba.AsSpan(y * stride, stride);
                for (var i = 0; i < stride; i++) row[i + 1] = (byte)(line[i] - (i >= 4 ? line[i - 4] : 0));
                z.Write(row);
            }
        }
        return packed.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        output.Write(head);
        output.Write(data);
        var crc = Crc32.Iso.Update(Crc32.Iso.Update(Crc32.Start, head.AsSpan(4)), data);
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, Crc32.Finish(crc));
        output.Write(tail);
    }
}

/// <summary>
/// A reflected CRC-32: the register starts at all ones and the result is inverted. <see cref="Iso"/> (polynomial
/// 0xEDB88320) is the one of PNG, zlib's gzip and zip; <see cref="Castagnoli"/> (0x82F63B78, CRC-32C) that of TFRecord files.
/// </summary>
internal sealed class Crc32
{
    public static readonly Crc32 Iso = new(0xEDB88320), Castagnoli = new(0x82F63B78);

    private readonly uint[] table = new uint[256];

    // Entry n: the register after shifting the byte n through eight steps of polynomial division.
    private Crc32(uint polynomial)
    {
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? polynomial ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
    }

    /// <summary>The register before any byte.</summary>
    public const uint Start = 0xFFFFFFFF;

    /// <summary>The register after <paramref name="bytes"/>.</summary>
    public uint Update(uint crc, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The checksum of what the register has seen.</summary>
    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFF;

    /// <summary>The checksum of <paramref name="bytes"/>.</summary>
    public uint Of(ReadOnlySpan<byte> bytes) => Finish(Update(Start, bytes));
}
