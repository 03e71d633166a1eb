using System.Buffers.Binary;

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
        var (dims, data) = Read(path, ImagesMagic, 3);
        return new IdxImages(dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads a labels file: one byte per item.</summary>
    /// <exception cref="DataFileException">The file is missing, truncated, or not an IDX labels file.</exception>
    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic, 1).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int magic, int rank)
    {
        using var file = DataFile.Open(path, Gzip.MaxLength);
        var headerSize = 4 + 4 * rank;
        if (file.Length < headerSize)
            throw new DataFileException(path, $"the file has {file.Length} bytes, fewer than the {headerSize}-byte IDX header; it is truncated");
        Span<byte> header = stackalloc byte[headerSize];
        file.ReadExactly(header);
        var found = BinaryPrimitives.ReadInt32BigEndian(header);
        if (found != magic)
            throw new DataFileException(path, $"wrong IDX magic number 0x{found:x8} (expected 0x{magic:x8}, {(rank == 3 ? "images" : "labels")}); is this the right file?");
        var dims = new int[rank];
        Int128 items = 1; // three int32 dimensions overflow a long
        for (var i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * i)..]);
            if (dims[i] <= 0) throw new DataFileException(path, $"IDX dimension {i} is {dims[i]}; dimensions must be positive");
            items *= dims[i];
        }
        // Checked against the file's (or the gzip trailer's) length before the data is allocated.
        if (items != file.Remaining)
            throw new DataFileException(path, $"the header promises {items:N0} bytes of data but the file holds {file.Remaining:N0}; it is truncated or corrupt — download it again");
        var data = new byte[(long)items];
        file.ReadExactly(data);
        file.EnsureEnd();
        return (dims, data);
    }
}
