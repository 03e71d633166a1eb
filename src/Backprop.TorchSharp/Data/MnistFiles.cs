using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Backprop.Data;

/// <summary>Checks the data files on disk (for <c>backprop data verify</c>) and summarizes what loads (for <c>backprop data info</c>).</summary>
public static class MnistFiles
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

    /// <summary>Checks one file's uncompressed SHA-256, inflating it as it is hashed.</summary>
    internal static FileCheck CheckIdx(string path, string sha256)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) return new FileCheck(name, path, FileStatus.Missing, "missing");
        try
        {
            using var file = DataFile.Open(path, Gzip.MaxLength);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            while (file.Remaining > 0)
            {
                var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, file.Remaining));
                file.ReadExactly(chunk);
                hash.AppendData(chunk);
            }
            file.EnsureEnd();
            var found = Convert.ToHexStringLower(hash.GetHashAndReset());
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
