using System.Buffers.Binary;
using System.IO.Compression;
using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class DataFileTests
{
    private static readonly byte[] Content = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i % 7))];

    internal static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal)) gz.Write(raw);
        return ms.ToArray();
    }

    private static byte[] WithTrailerSize(byte[] gz, uint isize)
    {
        var copy = (byte[])gz.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(copy.Length - 4), isize);
        return copy;
    }

    private static byte[] ReadAll(string path, long maxLength = 1 << 20)
    {
        using var file = DataFile.Open(path, maxLength);
        var bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        file.EnsureEnd();
        return bytes;
    }

    [Fact]
    public void Knows_the_content_length_of_raw_and_gzipped_files_before_reading()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("raw"), Content);
        File.WriteAllBytes(dir.File("gz"), Gzip(Content));

        using var raw = DataFile.Open(dir.File("raw"), 1 << 20);
        using var gz = DataFile.Open(dir.File("gz"), 1 << 20);

        Assert.Equal((Content.Length, false), (raw.Length, raw.IsGzip));
        Assert.Equal((Content.Length, true), (gz.Length, gz.IsGzip));
        Assert.Equal(Content, ReadAll(dir.File("raw")));
        Assert.Equal(Content, ReadAll(dir.File("gz")));
    }

    [Fact]
    public void A_trailer_that_claims_more_than_the_limit_is_refused_before_inflating()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("gz"), Gzip(Content));

        var e = Assert.Throws<DataFileException>(() => DataFile.Open(dir.File("gz"), maxLength: 4999));
        Assert.Contains("its trailer claims 5,000 inflated bytes, more than the 4,999 a data file may have", e.Message);
    }

    [Fact]
    public void A_trailer_that_claims_more_than_deflate_can_make_is_refused()
    {
        using var dir = new TempDir();
        var gz = Gzip(Content);
        File.WriteAllBytes(dir.File("gz"), WithTrailerSize(gz, (uint)(gz.Length * 1032 + 1)));

        var e = Assert.Throws<DataFileException>(() => DataFile.Open(dir.File("gz"), maxLength: 1L << 30));
        Assert.Contains($"more than deflate can make of {gz.Length:N0}", e.Message);
    }

    [Fact]
    public void A_stream_that_inflates_beyond_its_trailer_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("gz"), WithTrailerSize(Gzip(Content), 100));

        var e = Assert.Throws<DataFileException>(() => ReadAll(dir.File("gz")));
        Assert.Contains("it inflates to more than the 100 bytes its trailer says", e.Message);
    }

    [Fact]
    public void A_stream_that_ends_before_its_trailer_size_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("gz"), WithTrailerSize(Gzip(Content), 6000));

        var e = Assert.Throws<DataFileException>(() => ReadAll(dir.File("gz")));
        Assert.Contains("the gzip stream is truncated or damaged", e.Message);
    }

    [Fact]
    public void A_wrong_crc_is_refused()
    {
        using var dir = new TempDir();
        var gz = Gzip(Content);
        gz[^8] ^= 1; // CRC-32, just before ISIZE
        File.WriteAllBytes(dir.File("gz"), gz);

        var e = Assert.Throws<DataFileException>(() => ReadAll(dir.File("gz")));
        Assert.Contains("the gzip stream is truncated or damaged", e.Message);
    }

    [Fact]
    public void A_raw_file_over_the_limit_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("raw"), Content);

        var e = Assert.Throws<DataFileException>(() => DataFile.Open(dir.File("raw"), maxLength: 100));
        Assert.Contains("the file has 5,000 bytes, more than the 100 a data file may have", e.Message);
    }

    [Fact]
    public void Reading_past_the_content_is_refused_without_touching_the_stream()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("raw"), Content);
        using var file = DataFile.Open(dir.File("raw"), 1 << 20);

        var e = Assert.Throws<DataFileException>(() => file.ReadExactly(new byte[5001]));
        Assert.Contains("would pass the end of the 5,000-byte content", e.Message);
        Assert.Equal(0, file.Position);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<DataFileException>(() => DataFile.Open("/no/such/file.gz", 1 << 20));
        Assert.Equal("/no/such/file.gz", e.File);
        Assert.Contains("does not exist", e.Message);
    }
}
