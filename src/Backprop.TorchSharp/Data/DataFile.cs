using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// A data file opened for reading, inflated on the fly when it is gzip'ed, whose content length is known before a
/// byte of it is read: the file's size, or the gzip trailer's ISIZE. Readers check what a header asks for against
/// <see cref="Length"/> before they allocate, and the stream may not inflate beyond it.
/// </summary>
/// <remarks>Every failure, from a missing file to a damaged deflate block, is a <see cref="DataFileException"/>.</remarks>
internal sealed class DataFile : IDisposable
{
    /// <summary>The most bytes one deflate input byte can inflate to (RFC 1951's longest match, 258 bytes, in 2 bits).</summary>
    private const long MaxDeflateRatio = 1032;

    private readonly Stream _stream;

    private DataFile(string path, Stream stream, long length, bool isGzip) =>
        (Path, _stream, Length, IsGzip) = (path, stream, length, isGzip);

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The content's length in bytes (inflated, when gzip'ed).</summary>
    public long Length { get; }

    /// <summary>Whether the file is gzip'ed.</summary>
    public bool IsGzip { get; }

    /// <summary>Content bytes read so far.</summary>
    public long Position { get; private set; }

    /// <summary>Content bytes not read yet.</summary>
    public long Remaining => Length - Position;

    /// <summary>Opens <paramref name="path"/>, refusing content longer than <paramref name="maxLength"/> bytes.</summary>
    /// <exception cref="DataFileException">The file is missing, unreadable, or its gzip trailer claims an impossible size.</exception>
    public static DataFile Open(string path, long maxLength)
    {
        var file = OpenFile(path);
        try
        {
            var size = file.Length;
            Span<byte> magic = stackalloc byte[2];
            var isGzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            if (!isGzip)
            {
                if (size > maxLength)
                    throw new DataFileException(path, $"the file has {size:N0} bytes, more than the {maxLength:N0} a data file may have; is this the right file?");
                file.Position = 0;
                return new DataFile(path, file, size, isGzip: false);
            }
            if (size < 18) throw Damaged(path, $"the file has {size} bytes, fewer than a gzip header and trailer");
            Span<byte> trailer = stackalloc byte[4];
            file.Position = size - 4;
            file.ReadExactly(trailer);
            // ISIZE is the inflated length mod 2^32; the caps below are far under 4 GiB, and EnsureEnd catches a wrap.
            long isize = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            if (isize > maxLength)
                throw Damaged(path, $"its trailer claims {isize:N0} inflated bytes, more than the {maxLength:N0} a data file may have");
            if (isize > size * MaxDeflateRatio)
                throw Damaged(path, $"its trailer claims {isize:N0} inflated bytes, more than deflate can make of {size:N0}");
            file.Position = 0;
            return new DataFile(path, new GZipStream(file, CompressionMode.Decompress), isize, isGzip: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            file.Dispose();
            throw new DataFileException(path, $"the file cannot be read: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Fills <paramref name="buffer"/> with the next content bytes.</summary>
    /// <exception cref="DataFileException">The content ends first, or the gzip stream is damaged.</exception>
    public void ReadExactly(Span<byte> buffer)
    {
        if (buffer.Length > Remaining)
            throw new DataFileException(Path, $"reading {buffer.Length:N0} bytes at {Position:N0} would pass the end of the {Length:N0}-byte content");
        var read = Read(buffer);
        if (read < buffer.Length)
        {
            var problem = $"the content ends after {Position:N0} bytes, but {Length:N0} were expected";
            throw IsGzip ? Damaged(Path, problem) : new DataFileException(Path, $"{problem}; it is truncated or changed while being read");
        }
    }

    /// <summary>Checks that the content ends at <see cref="Length"/>, as it must once everything is read.</summary>
    /// <exception cref="DataFileException">More content follows (a gzip stream that inflates beyond its trailer's size).</exception>
    public void EnsureEnd()
    {
        Span<byte> one = stackalloc byte[1];
        if (Read(one) > 0)
            throw IsGzip
                ? Damaged(Path, $"it inflates to more than the {Length:N0} bytes its trailer says")
                : new DataFileException(Path, $"the file grew past {Length:N0} bytes while being read");
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    private int Read(Span<byte> buffer)
    {
        try
        {
            var read = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            Position += read;
            return read;
        }
        catch (InvalidDataException e)
        {
            throw Damaged(Path, e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(Path, $"the file cannot be read: {e.Message}", e);
        }
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return PlainFile.OpenRead(path, bufferSize: 1 << 16);
        }
        catch (NotPlainFileException e) // a FIFO would block open() for ever, /dev/zero would never end
        {
            throw new DataFileException(path, $"is {e.Kind}, not a data file; pass the folder that holds the MNIST files", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFileException(path, "the file does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new DataFileException(path, $"the file cannot be read: {e.Message}", e);
        }
    }

    private static DataFileException Damaged(string path, string detail, Exception? inner = null) =>
        new(path, $"the gzip stream is truncated or damaged ({detail}); download the file again", inner);
}

/// <summary>A data file that is missing, truncated or not in the expected format. The message names the file, the problem and what to do.</summary>
/// <param name="file">The file's path.</param>
/// <param name="problem">What is wrong, in a sentence fragment that can follow the path.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class DataFileException(string file, string problem, Exception? inner = null)
    : Exception($"{file}: {problem}", inner)
{
    /// <summary>The file's path.</summary>
    public string File { get; } = file;

    /// <summary>What is wrong with the file.</summary>
    public string Problem { get; } = problem;
}

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
        file.ReadExactly(bytes);
        file.EnsureEnd();
        return bytes;
    }
}
