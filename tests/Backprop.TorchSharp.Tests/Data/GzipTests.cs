using System.Security.Cryptography;
using Backprop.Data;

namespace Backprop.Tests.Data;

public sealed class GzipTests
{
    [Fact]
    public void Inflates_the_shipped_test_images_to_the_bytes_data_readme_lists()
    {
        var bytes = Gzip.ReadAllBytes(Path.Combine(Repo.MnistIdx, "t10k-images-idx3-ubyte.gz"));

        Assert.Equal(10_000 * 784 + 16, bytes.Length);
        Assert.Equal("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public void Passes_a_file_that_is_not_gzipped_through()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("raw"), [0x1f, 0x8c, 1, 2, 3]);

        Assert.Equal([0x1f, 0x8c, 1, 2, 3], Gzip.ReadAllBytes(dir.File("raw")));
    }

    [Fact]
    public void Refuses_content_beyond_the_limit()
    {
        var e = Assert.Throws<DataFileException>(() => Gzip.ReadAllBytes(Path.Combine(Repo.MnistIdx, "t10k-labels-idx1-ubyte.gz"), maxLength: 10_000));
        Assert.Contains("its trailer claims 10,008 inflated bytes, more than the 10,000", e.Message);
    }
}
