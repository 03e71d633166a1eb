using Backprop.Cli.DataFiles;

namespace Backprop.Tests.Cli.DataFiles;

public sealed class RemoteFileTests
{
    private static readonly RemoteFile File = new(new Uri("http://127.0.0.1/f"), 10, Sha256: new string('a', 64), GitBlobSha1: new string('b', 40));

    [Fact]
    public void Matches_on_size_and_every_known_hash_in_any_case()
    {
        Assert.Null(File.Mismatch(10, new string('A', 64), new string('B', 40)));
        Assert.Null(new RemoteFile(File.Url, 10).Mismatch(10, "anything", "anything"));
    }

    [Fact]
    public void Names_the_first_difference()
    {
        Assert.Equal("it has 11 bytes; expected 10", File.Mismatch(11, new string('a', 64), new string('b', 40)));
        Assert.Equal($"its SHA-256 is {new string('c', 64)}; expected {new string('a', 64)}", File.Mismatch(10, new string('c', 64), new string('b', 40)));
        Assert.Equal($"its git blob id is {new string('c', 40)}; expected {new string('b', 40)}", File.Mismatch(10, new string('a', 64), new string('c', 40)));
    }

    [Fact]
    public void Says_what_it_checks()
    {
        Assert.Equal($"10 bytes, SHA-256 {new string('a', 64)}, git blob {new string('b', 40)}", File.Expectation);
        Assert.Equal("17,051,982 bytes, git blob 059aba0d982e20e2ac125a3a59d89c3c2cd8b28a", MnistDownload.CourseFile.Expectation);
    }
}
