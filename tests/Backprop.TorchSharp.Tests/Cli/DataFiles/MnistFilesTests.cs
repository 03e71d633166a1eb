using System.Text.RegularExpressions;
using Backprop.Cli.DataFiles;
using Backprop.Data;

namespace Backprop.Tests.Cli.DataFiles;

public sealed partial class MnistFilesTests
{
    private static TempDir CopyOfData()
    {
        var dir = new TempDir();
        Directory.CreateDirectory(dir.File("mnist"));
        foreach (var f in Mnist.IdxFiles) File.Copy(Path.Combine(Repo.MnistIdx, f), Path.Combine(dir.Path, "mnist", f));
        return dir;
    }

    [GeneratedRegex(@"^\| `(?<name>[^`]+)` \| `(?<hash>[0-9a-f]{64})` \|$", RegexOptions.Multiline)]
    private static partial Regex ReadmeRow();

    [Fact]
    public void The_hashes_are_the_ones_data_readme_lists()
    {
        var readme = File.ReadAllText(Path.Combine(Repo.Data, "README.md"));

        var rows = ReadmeRow().Matches(readme).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["hash"].Value);

        Assert.Equal(rows.OrderBy(r => r.Key), MnistFiles.IdxSha256.OrderBy(r => r.Key));
    }

    [Fact]
    public void The_shipped_files_verify()
    {
        using var dir = CopyOfData();

        var checks = MnistFiles.Verify(dir.Path);

        Assert.Equal(Mnist.IdxFiles, checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.Equal(FileStatus.Ok, c.Status));
        Assert.Equal($"uncompressed SHA-256 {MnistFiles.IdxSha256[checks[0].Name]}", checks[0].Detail);
    }

    [Fact]
    public void Files_directly_in_the_folder_verify_too()
    {
        using var dir = new TempDir();
        foreach (var f in Mnist.IdxFiles) File.Copy(Path.Combine(Repo.MnistIdx, f), dir.File(f));

        Assert.All(MnistFiles.Verify(dir.Path), c => Assert.True(c.IsOk, c.Detail));
    }

    [Fact]
    public void Reports_a_missing_a_changed_and_a_damaged_file_each_by_name()
    {
        using var dir = CopyOfData();
        var folder = dir.File("mnist");
        File.Delete(Path.Combine(folder, "train-labels-idx1-ubyte.gz"));
        // One label changed, recompressed: a valid gzip with different content.
        var labels = Gzip.ReadAllBytes(Path.Combine(Repo.MnistIdx, "t10k-labels-idx1-ubyte.gz"));
        labels[100] ^= 1;
        File.WriteAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), Backprop.Tests.Data.DataFileTests.Gzip(labels));
        var images = File.ReadAllBytes(Path.Combine(Repo.MnistIdx, "t10k-images-idx3-ubyte.gz"));
        File.WriteAllBytes(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), images[..(images.Length / 2)]);

        var checks = MnistFiles.Verify(dir.Path).ToDictionary(c => c.Name);

        Assert.Equal(FileStatus.Ok, checks["train-images-idx3-ubyte.gz"].Status);
        Assert.Equal(FileStatus.Missing, checks["train-labels-idx1-ubyte.gz"].Status);
        Assert.Equal(FileStatus.Mismatch, checks["t10k-labels-idx1-ubyte.gz"].Status);
        Assert.EndsWith($"; expected {MnistFiles.IdxSha256["t10k-labels-idx1-ubyte.gz"]}", checks["t10k-labels-idx1-ubyte.gz"].Detail);
        Assert.Equal(FileStatus.Unreadable, checks["t10k-images-idx3-ubyte.gz"].Status);
        Assert.Contains("gzip stream is truncated or damaged", checks["t10k-images-idx3-ubyte.gz"].Detail);
    }

    [Fact]
    public void Checks_a_pickle_in_the_folder_against_the_course_file()
    {
        using var dir = CopyOfData();
        File.Copy(Repo.Fixture("mnist-small.pkl.gz"), dir.File("mnist.pkl.gz"));

        var checks = MnistFiles.Verify(dir.Path);

        Assert.Equal(5, checks.Count);
        var pickle = checks[^1];
        Assert.Equal(("mnist.pkl.gz", FileStatus.Mismatch), (pickle.Name, pickle.Status));
        Assert.Equal($"it has {new FileInfo(dir.File("mnist.pkl.gz")).Length:N0} bytes; expected 17,051,982", pickle.Detail);
    }

    [Fact]
    public void Info_summarizes_the_shipped_data()
    {
        var info = MnistFiles.Info(Repo.Data);
        var trainLabels = IdxReader.ReadLabels(Path.Combine(Repo.MnistIdx, "train-labels-idx1-ubyte.gz"));

        Assert.Equal(Repo.MnistIdx, info.Source);
        Assert.Equal(["train", "valid", "test"], info.Splits.Select(s => s.Name));
        var train = info.Splits[0];
        Assert.Equal([50000L, 784], train.XShape);
        Assert.Equal([50000L], train.YShape);
        Assert.Equal(("Float32", "Int64"), (train.XType, train.YType));
        Assert.Equal((0f, 0.99609375f), (train.XMin, train.XMax));
        Assert.Equal(Enumerable.Range(0, 10).Select(d => (long)trainLabels[..50000].Count(l => l == d)), train.LabelCounts);
        // MNIST's published class counts: the 60,000 training digits (train + valid) and the 10,000 test digits.
        Assert.Equal([5923L, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], train.LabelCounts.Zip(info.Splits[1].LabelCounts, (a, b) => a + b));
        Assert.Equal([980L, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], info.Splits[2].LabelCounts);
    }
}
