using System.IO.Compression;
using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class IdxReaderTests
{
    private static byte[] Header(int magic, params int[] dims)
    {
        var b = new List<byte>();
        foreach (var v in new[] { magic }.Concat(dims)) b.AddRange(BitConverter.GetBytes(v).Reverse());
        return [.. b];
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(raw);
        return ms.ToArray();
    }

    [Fact]
    public void Reads_a_raw_and_a_gzipped_images_file_alike()
    {
        using var dir = new TempDir();
        byte[] raw = [.. Header(IdxReader.ImagesMagic, 2, 2, 3), .. Enumerable.Range(0, 12).Select(i => (byte)(i * 20))];
        File.WriteAllBytes(dir.File("raw"), raw);
        File.WriteAllBytes(dir.File("gz"), Gzip(raw));

        var a = IdxReader.ReadImages(dir.File("raw"));
        var b = IdxReader.ReadImages(dir.File("gz"));

        Assert.Equal((2, 2, 3), (a.Count, a.Rows, a.Cols));
        Assert.Equal(raw[16..], a.Pixels);
        Assert.Equal(a.Pixels, b.Pixels);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<DataFileException>(() => IdxReader.ReadLabels("/no/such/labels.gz"));
        Assert.Equal("/no/such/labels.gz", e.File);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_wrong_magic_number_is_refused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("labels"), [.. Header(IdxReader.ImagesMagic, 1, 1, 1), 0]);

        var e = Assert.Throws<DataFileException>(() => IdxReader.ReadLabels(dir.File("labels")));
        Assert.Contains("wrong IDX magic number 0x00000803", e.Message);
    }

    [Fact]
    public void A_header_that_claims_more_items_than_the_file_holds_is_refused_before_allocating()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("images"), [.. Header(IdxReader.ImagesMagic, int.MaxValue, int.MaxValue, int.MaxValue), 1, 2, 3]);

        var e = Assert.Throws<DataFileException>(() => IdxReader.ReadImages(dir.File("images")));
        Assert.Contains("the header promises", e.Message);
    }

    [Fact]
    public void A_truncated_gzip_is_refused()
    {
        using var dir = new TempDir();
        var gz = File.ReadAllBytes(Path.Combine(Repo.MnistIdx, "t10k-labels-idx1-ubyte.gz"));
        File.WriteAllBytes(dir.File("cut.gz"), gz[..(gz.Length / 2)]);

        var e = Assert.Throws<DataFileException>(() => IdxReader.ReadLabels(dir.File("cut.gz")));
        Assert.Contains("gzip stream is truncated or damaged", e.Message);
    }
}
