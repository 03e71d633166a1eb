using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using ICSharpCode.SharpZipLib.GZip;

namespace Backprop.Benchmarks;

/// <summary>
/// Inflates the shipped MNIST files with the BCL's <see cref="GZipStream"/> (zlib-ng) and with SharpZipLib's managed
/// <see cref="GZipInputStream"/>, into a buffer sized from the gzip trailer, the way <c>Backprop.Data.Gzip</c> reads.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class GzipBenchmarks
{
    private byte[] _gz = [];
    private byte[] _output = [];

    /// <summary>One of the four files in <c>data/mnist/</c>.</summary>
    [Params("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
    public string File { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _gz = System.IO.File.ReadAllBytes(Path.Combine(RepoRoot(), "data", "mnist", File));
        _output = new byte[BitConverter.ToUInt32(_gz, _gz.Length - 4)];
    }

    [Benchmark(Baseline = true)]
    public int Bcl()
    {
        using var gz = new GZipStream(new MemoryStream(_gz), CompressionMode.Decompress);
        gz.ReadExactly(_output);
        return _output[^1];
    }

    [Benchmark]
    public int SharpZipLib()
    {
        using var gz = new GZipInputStream(new MemoryStream(_gz));
        gz.ReadExactly(_output);
        return _output[^1];
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Backprop.TorchSharp.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Backprop.TorchSharp.sln above {AppContext.BaseDirectory}");
    }
}
