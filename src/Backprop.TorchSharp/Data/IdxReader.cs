using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// Reads the original MNIST IDX files (<c>train-images-idx3-ubyte</c>, ...), raw or gzip'ed: a big-endian header
/// (magic <c>0x00000803</c> for images, <c>0x00000801</c> for labels, then the dimensions) followed by unsigned bytes.
/// </summary>
/// <remarks>The header is checked against the file before anything is allocated, so a corrupt header cannot ask for more memory than the file justifies.</remarks>
public static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned bytes with three dimensions (images).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned bytes with one dimension (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an images file: <c>count</c> images of <c>rows × cols</c> bytes, row-major.</summary>
    /// <exception cref="DataFileException">The file is missing, truncated, or not an IDX images file.</exception>
    public static IdxImages ReadImages(string path)
    {
        using var file = OpenData(path, ImagesMagic, out var dims);
        return new IdxImages(dims[0], dims[1], dims[2], ReadRest(file));
    }

    /// <summary>Reads a labels file: one byte per item.</summary>
    /// <exception cref="DataFileException">The file is missing, truncated, or not an IDX labels file.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var file = OpenData(path, LabelsMagic, out _);
        return ReadRest(file);
    }

    /// <summary>
    /// Reads an images file straight into a float32 tensor (count, rows × cols) of byte / 256 (<see cref="PixelScaling"/>),
    /// inflating a chunk at a time: the pixels are never held as bytes.
    /// </summary>
    /// <returns>The tensor, which the caller owns, and the image size.</returns>
    /// <exception cref="DataFileException">The file is missing, truncated, too large, or not an IDX images file.</exception>
    internal static (Tensor X, int Rows, int Cols) ReadImagesAsUnitFloats(string path)
    {
        using var file = OpenData(path, ImagesMagic, out var dims);
        if (file.Remaining > Array.MaxLength / sizeof(float))
            throw new DataFileException(path, $"holds {file.Remaining:N0} pixels, more than a float32 tensor here may have");
        var x = empty([dims[0], (long)dims[1] * dims[2]], ScalarType.Float32);
        try
        {
            var floats = MemoryMarshal.Cast<byte, float>(x.bytes);
            var chunk = new byte[1 << 16];
            for (var done = 0; done < floats.Length;)
            {
                var bytes = chunk.AsSpan(0, Math.Min(chunk.Length, floats.Length - done));
                file.ReadExactly(bytes);
                PixelScaling.ToUnitFloats(bytes, floats.Slice(done, bytes.Length));
                done += bytes.Length;
            }
            file.EnsureEnd();
            return (x, dims[1], dims[2]);
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }

    /// <summary>Opens the file and reads its header; the data that follows is exactly what the header promises.</summary>
    /// <remarks>Checked against the file's (or the gzip trailer's) length, so nothing is allocated that the file does not hold.</remarks>
    private static DataFile OpenData(string path, int magic, out int[] dims)
    {
        var file = DataFile.Open(path, Gzip.MaxLength);
        try
        {
            var rank = magic & 0xff;
            var headerSize = 4 + 4 * rank;
            if (file.Length < headerSize)
                throw new DataFileException(path, $"the file has {file.Length} bytes, fewer than the {headerSize}-byte IDX header; it is truncated");
            Span<byte> header = stackalloc byte[headerSize];
            file.ReadExactly(header);
            var found = BinaryPrimitives.ReadInt32BigEndian(header);
            if (found != magic)
                throw new DataFileException(path, $"wrong IDX magic number 0x{found:x8} (expected 0x{magic:x8}, {(rank == 3 ? "images" : "labels")}); is this the right file?");
            dims = new int[rank];
            Int128 items = 1; // three int32 dimensions overflow a long
            for (var i = 0; i < rank; i++)
            {
                dims[i] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * i)..]);
                if (dims[i] <= 0) throw new DataFileException(path, $"IDX dimension {i} is {dims[i]}; dimensions must be positive");
                items *= dims[i];
            }
            if (items != file.Remaining)
                throw new DataFileException(path, $"the header promises {items:N0} bytes of data but the file holds {file.Remaining:N0}; it is truncated or corrupt — download it again");
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static byte[] ReadRest(DataFile file)
    {
        var data = GC.AllocateUninitializedArray<byte>((int)file.Remaining); // filled whole below, or thrown away
        file.ReadExactly(data);
        file.EnsureEnd();
        return data;
    }
}

/// <summary>The content of an IDX images file.</summary>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Rows per image (28 for MNIST).</param>
/// <param name="Cols">Columns per image (28 for MNIST).</param>
/// <param name="Pixels">(Count × Rows × Cols) bytes, 0 to 255, row-major.</param>
public sealed record IdxImages(int Count, int Rows, int Cols, byte[] Pixels);

/// <summary>MNIST's pixel scaling: byte / 256 as float32, exactly the values of the course's <c>mnist.pkl.gz</c>.</summary>
internal static class PixelScaling
{
    /// <summary>1/256: a power of two, so <c>b * Scale</c> is exactly <c>b / 256f</c>.</summary>
    public const float Scale = 1f / 256;

    /// <summary>Writes <c>pixels[i] / 256</c> to <c>floats[i]</c>, 32 pixels at a time where the CPU allows.</summary>
    /// <param name="pixels">Bytes 0 to 255.</param>
    /// <param name="floats">As long as <paramref name="pixels"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per load: tier-0 code would be many times slower
    public static void ToUnitFloats(ReadOnlySpan<byte> pixels, Span<float> floats)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(floats.Length, pixels.Length, nameof(floats));
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(Scale);
            for (; i <= pixels.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                // byte → ushort → uint (exact), → float, × 1/256 (exact).
                var (lo, hi) = Vector256.Widen(Vector256.Create(pixels.Slice(i, Vector256<byte>.Count)));
                var (a, b) = Vector256.Widen(lo);
                var (c, d) = Vector256.Widen(hi);
                var dst = floats.Slice(i, Vector256<byte>.Count);
                (Vector256.ConvertToSingle(a.AsInt32()) * scale).CopyTo(dst);
                (Vector256.ConvertToSingle(b.AsInt32()) * scale).CopyTo(dst[8..]);
                (Vector256.ConvertToSingle(c.AsInt32()) * scale).CopyTo(dst[16..]);
                (Vector256.ConvertToSingle(d.AsInt32()) * scale).CopyTo(dst[24..]);
            }
        }
        for (; i < pixels.Length; i++) floats[i] = pixels[i] * Scale;
    }
}
