using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// MNIST in the course's splits: train = the first 50,000 training images, valid = the last 10,000, test = t10k.
/// Images are float32 (N, 784) with values byte / 256 (exactly the course's <c>mnist.pkl.gz</c>); labels are int64 (N).
/// </summary>
/// <remarks>The tensors live on the CPU and belong to this object: dispose it, or move them out with <see cref="Tensor.MoveToOuterDisposeScope"/>.</remarks>
public sealed class Mnist : IDisposable
{
    /// <summary>Training images kept for training (the first 50,000 of the original training set).</summary>
    public const int TrainCount = 50_000;

    /// <summary>Pixels per image (28 × 28).</summary>
    public const int Pixels = 784;

    /// <summary>The four original IDX file names, gzip'ed, as <c>data/mnist/</c> holds them.</summary>
    public static readonly IReadOnlyList<string> IdxFiles =
        ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];

    internal Mnist(Tensor xTrain, Tensor yTrain, Tensor xValid, Tensor yValid, Tensor xTest, Tensor yTest, string source)
    {
        (XTrain, YTrain, XValid, YValid, XTest, YTest, Source) = (xTrain, yTrain, xValid, yValid, xTest, yTest, source);
    }

    /// <summary>Training images, (50000, 784) float32.</summary>
    public Tensor XTrain { get; }

    /// <summary>Training labels, (50000) int64.</summary>
    public Tensor YTrain { get; }

    /// <summary>Validation images, (10000, 784) float32.</summary>
    public Tensor XValid { get; }

    /// <summary>Validation labels, (10000) int64.</summary>
    public Tensor YValid { get; }

    /// <summary>Test images, (10000, 784) float32.</summary>
    public Tensor XTest { get; }

    /// <summary>Test labels, (10000) int64.</summary>
    public Tensor YTest { get; }

    /// <summary>Where the data came from (a folder of IDX files or a pickle file).</summary>
    public string Source { get; }

    /// <summary>
    /// Loads MNIST from <paramref name="dir"/>: the IDX files in <c>dir/mnist/</c> or <c>dir/</c>, else the course's
    /// <c>dir/mnist.pkl.gz</c>. <paramref name="dir"/> may also be the pickle file itself.
    /// </summary>
    /// <exception cref="DataFileException">No data was found (the message lists where it looked), or a file is corrupt.</exception>
    public static Mnist Load(string dir)
    {
        foreach (var folder in new[] { Path.Combine(dir, "mnist"), dir })
            if (IdxFiles.All(f => File.Exists(Path.Combine(folder, f))))
                return FromIdx(folder);
        var pickle = File.Exists(dir) ? dir : Path.Combine(dir, "mnist.pkl.gz");
        if (File.Exists(pickle)) return MnistPickle.Load(pickle);
        throw new DataFileException(dir,
            $"no MNIST data found: looked for {string.Join(", ", IdxFiles)} in {Path.Combine(dir, "mnist")} and {dir}, and for {pickle}. " +
            $"Give the folder that holds mnist/ (the repository's data/), or set {DataVariable} to it.");
    }

    /// <summary>The environment variable that names the data folder for <see cref="DefaultDirectory()"/>.</summary>
    public const string DataVariable = "BACKPROP_DATA";

    /// <summary>
    /// The default data folder: <c>$BACKPROP_DATA</c> when it is set; else the nearest <c>data/</c> with <c>mnist/</c> in it,
    /// from the current folder upwards, then from the application's folder upwards (a program built from this repository
    /// finds the repository's data wherever it is started); else <c>data</c>.
    /// </summary>
    public static string DefaultDirectory() =>
        DefaultDirectory(Environment.GetEnvironmentVariable(DataVariable), Directory.GetCurrentDirectory(), AppContext.BaseDirectory);

    internal static string DefaultDirectory(string? variable, string current, string appBase) =>
        !string.IsNullOrWhiteSpace(variable) ? variable : Nearest(current) ?? Nearest(appBase) ?? "data";

    private static string? Nearest(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data");
            if (Directory.Exists(Path.Combine(candidate, "mnist"))) return candidate;
        }
        return null;
    }

    /// <summary>Loads the four IDX files (raw or gzip'ed) from <paramref name="folder"/>.</summary>
    /// <exception cref="DataFileException">A file is missing or damaged, or the files do not belong together.</exception>
    public static Mnist FromIdx(string folder)
    {
        using var scope = NewDisposeScope(); // on any error below, what was read is freed
        var (xTrain, yTrain) = Pair(folder, IdxFiles[0], IdxFiles[1]);
        var (xTest, yTest) = Pair(folder, IdxFiles[2], IdxFiles[3]);
        var n = xTrain.shape[0];
        if (n <= TrainCount)
            throw new DataFileException(Path.Combine(folder, IdxFiles[0]), $"holds {n:N0} images; the course's splits need more than {TrainCount:N0}");
        var mnist = new Mnist(
            xTrain[..TrainCount], yTrain[..TrainCount], xTrain[TrainCount..], yTrain[TrainCount..], xTest, yTest, folder);
        foreach (var t in mnist.All) t.MoveToOuterDisposeScope();
        return mnist;
    }

    /// <summary>All six tensors, in the order train, valid, test.</summary>
    public IEnumerable<Tensor> All => [XTrain, YTrain, XValid, YValid, XTest, YTest];

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in All) t.Dispose();
    }

    /// <summary>Images (N, 784) float32 / 256 and labels (N) int64 from one images file and its labels file.</summary>
    private static (Tensor X, Tensor Y) Pair(string folder, string imagesFile, string labelsFile)
    {
        var (x, rows, cols) = IdxReader.ReadImagesAsUnitFloats(Path.Combine(folder, imagesFile));
        var labelsPath = Path.Combine(folder, labelsFile);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (x.shape[0] != labels.Length)
            throw new DataFileException(labelsPath, $"holds {labels.Length:N0} labels for {x.shape[0]:N0} images; the files do not belong together");
        if (rows * cols != Pixels)
            throw new DataFileException(Path.Combine(folder, imagesFile), $"images are {rows}×{cols}, not 28×28");
        var bad = labels.AsSpan().IndexOfAnyInRange((byte)10, byte.MaxValue);
        if (bad >= 0)
            throw new DataFileException(labelsPath, $"label {bad:N0} is {labels[bad]}; MNIST labels are 0 to 9");
        return (x, Labels(labels));
    }

    private static Tensor Labels(byte[] labels)
    {
        var y = empty([labels.Length], ScalarType.Int64);
        var dst = MemoryMarshal.Cast<byte, long>(y.bytes);
        for (var i = 0; i < labels.Length; i++) dst[i] = labels[i];
        return y;
    }
}
