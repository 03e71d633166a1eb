using System.Security.Cryptography;
using Backprop.Cli.DataFiles;

namespace Backprop.Tests.Cli.DataFiles;

public sealed class FileDigestTests
{
    /// <summary>`git hash-object tests/Backprop.TorchSharp.Tests/Fixtures/mnist-small.pkl.gz`.</summary>
    internal const string SmallFixtureGitBlob = "74b8c0b752acef1bb39d10fa17ca5addae9f21f0";

    [Fact]
    public void Computes_sha256_and_the_git_blob_id_git_computes()
    {
        var path = Repo.Fixture("mnist-small.pkl.gz");

        var (size, sha256, gitBlob) = FileDigest.Of(path);

        Assert.Equal(new FileInfo(path).Length, size);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), sha256);
        Assert.Equal(SmallFixtureGitBlob, gitBlob);
    }

    [Fact]
    public void The_empty_file_has_gits_well_known_empty_blob_id()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty"), []);

        var (_, sha256, gitBlob) = FileDigest.Of(dir.File("empty"));

        Assert.Equal("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", gitBlob);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sha256);
    }
}
