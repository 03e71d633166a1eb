using System.Collections.Frozen;
using System.Security.Cryptography;
using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Cli.DataFiles;

/// <summary>Checks the data files on disk (for <c>backprop data verify</c>) and summarizes what loads (for <c>backprop data info</c>).</summary>
internal static class MnistFiles
{
    /// <summary>SHA-256 of each IDX file's uncompressed content, as <c>data/README.md</c> lists them.</summary>
    public static IReadOnlyDictionary<string, string> IdxSha256 { get; } = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ["train-labels-idx1-ubyte.gz"] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ["t10k-images-idx3-ubyte.gz"] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ["t10k-labels-idx1-ubyte.gz"] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }.ToFrozenDictionary();

    /// <summary>
    /// Checks the four IDX files in <c>dir/mnist/</c> (or <paramref name="dir"/> itself when it has no <c>mnist/</c>)
    /// against <see cref="IdxSha256"/>, and the course's <c>dir/mnist.pkl.gz</c> against
    /// <see cref="MnistDownload.CourseFile"/> when it is there. One entry per file, IDX files first.
    /// </summary>
    public static IReadOnlyList<FileCheck> Verify(string dir)
    {
        var idxFolder = Directory.Exists(Path.Combine(dir, "mnist")) ? Path.Combine(dir, "mnist") : dir;
        var checks = Mnist.IdxFiles.Select(name => CheckIdx(Path.Combine(idxFolder, name), IdxSha256[name])).ToList();
        var pickle = MnistDownload.PathIn(dir);
        if (File.Exists(pickle)) checks.Add(Downloader.Check(MnistDownload.CourseFile, pickle));
        return checks;
    }

    /// <summary>Loads MNIST from <paramref name="dir"/> as <see cref="Mnist.Load"/> does and summarizes it.</summary>
    /// <exception cref="DataFileException">No data, or a damaged file.</exception>
    public static MnistInfo Info(string dir)
    {
        using var mnist = Mnist.Load(dir);
        return MnistInfo.Of(mnist);
    }

    /// <summary>Checks one file's uncompressed SHA-256, inflated in memory (at most 47 MB for MNIST).</summary>
    internal static FileCheck CheckIdx(string path, string sha256)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) return new FileCheck(name, path, FileStatus.Missing, "missing");
        try
        {
            var found = Convert.ToHexStringLower(SHA256.HashData(Gzip.ReadAllBytes(path)));
            return found == sha256
                ? new FileCheck(name, path, FileStatus.Ok, $"uncompressed SHA-256 {found}")
                : new FileCheck(name, path, FileStatus.Mismatch, $"uncompressed SHA-256 is {found}; expected {sha256}");
        }
        catch (DataFileException e)
        {
            return new FileCheck(name, path, FileStatus.Unreadable, e.Problem);
        }
    }
}

/// <summary>One data file checked against what it must be.</summary>
/// <param name="Name">The file's name, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Path">Where it was looked for.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Detail">A line for people: the hash that matched, or what differs.</param>
internal sealed record FileCheck(string Name, string Path, FileStatus Status, string Detail)
{
    /// <summary>Whether the file is as it must be.</summary>
    public bool IsOk => Status == FileStatus.Ok;
}

/// <summary>How a data file compares with what it must be.</summary>
internal enum FileStatus
{
    /// <summary>It is there and its size and hashes match.</summary>
    Ok,

    /// <summary>It is not there.</summary>
    Missing,

    /// <summary>It is there but its size or a hash differs.</summary>
    Mismatch,

    /// <summary>It is there but cannot be read (or, when gzip'ed, inflated).</summary>
    Unreadable,
}

/// <summary>What a loaded MNIST holds: where it came from and, per split, shapes, pixel range and label counts.</summary>
/// <param name="Source">The folder of IDX files or the pickle file it was loaded from.</param>
/// <param name="Splits">train, valid, test.</param>
internal sealed record MnistInfo(string Source, IReadOnlyList<MnistSplitInfo> Splits)
{
    /// <summary>Summarizes <paramref name="mnist"/>.</summary>
    public static MnistInfo Of(Mnist mnist)
    {
        ArgumentNullException.ThrowIfNull(mnist);
        using var scope = NewDisposeScope();
        return new MnistInfo(mnist.Source,
        [
            Split("train", mnist.XTrain, mnist.YTrain),
            Split("valid", mnist.XValid, mnist.YValid),
            Split("test", mnist.XTest, mnist.YTest),
        ]);
    }

    private static MnistSplitInfo Split(string name, Tensor x, Tensor y) => new(
        name, x.shape, x.dtype.ToString(), y.shape, y.dtype.ToString(), x.min().item<float>(), x.max().item<float>(),
        y.bincount(null, 10).data<long>().ToArray());
}

/// <summary>One split of MNIST, summarized.</summary>
/// <param name="Name"><c>train</c>, <c>valid</c> or <c>test</c>.</param>
/// <param name="XShape">The images' shape, e.g. (50000, 784).</param>
/// <param name="XType">The images' dtype, e.g. <c>Float32</c>.</param>
/// <param name="YShape">The labels' shape, e.g. (50000).</param>
/// <param name="YType">The labels' dtype, e.g. <c>Int64</c>.</param>
/// <param name="XMin">The smallest pixel value.</param>
/// <param name="XMax">The largest pixel value (0.99609375 = 255/256 for the course's data).</param>
/// <param name="LabelCounts">How many images of each digit, 0 to 9.</param>
internal sealed record MnistSplitInfo(
    string Name, IReadOnlyList<long> XShape, string XType, IReadOnlyList<long> YShape, string YType,
    float XMin, float XMax, IReadOnlyList<long> LabelCounts);
