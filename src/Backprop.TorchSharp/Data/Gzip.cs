namespace Backprop.Data;

/// <summary>
/// Reads a data file whole, inflating it when it starts with the gzip magic bytes (<c>1f 8b</c>). Inflation goes through
/// the BCL's <see cref="System.IO.Compression.GZipStream"/> (zlib-ng): on the shipped <c>train-images-idx3-ubyte.gz</c>
/// it inflates about twice as fast as SharpZipLib (see <c>tests/Backprop.Benchmarks/GzipBenchmarks.cs</c>).
/// </summary>
public static class Gzip
{
    /// <summary>The most bytes a data file may inflate to: 512 MiB (the course's <c>mnist.pkl.gz</c> holds about 220 MB).</summary>
    public const long MaxLength = 512L << 20;

    /// <summary>The file's bytes, decompressed if it is gzip'ed.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxLength">The most bytes the content may have; a gzip trailer that claims more is refused before anything is allocated.</param>
    /// <exception cref="DataFileException">The file is missing, unreadable, too large, or a damaged gzip stream.</exception>
    public static byte[] ReadAllBytes(string path, long maxLength = MaxLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLength, Array.MaxLength);
        using var file = DataFile.Open(path, maxLength);
        var bytes = GC.AllocateUninitializedArray<byte>((int)file.Length); // filled whole below, or thrown away
        HugePages.Advise(bytes);
        file.ReadExactly(bytes);
        file.EnsureEnd();
        return bytes;
    }
}
