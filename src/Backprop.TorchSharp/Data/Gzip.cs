using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>Reads a file whole, inflating it when it starts with the gzip magic bytes (<c>1f 8b</c>).</summary>
public static class Gzip
{
    /// <summary>The file's bytes, decompressed if it is gzip'ed.</summary>
    /// <exception cref="DataFileException">The file is missing, unreadable or a damaged gzip stream.</exception>
    public static byte[] ReadAllBytes(string path)
    {
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFileException(path, "the file does not exist", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFileException(path, $"the file cannot be read: {e.Message}", e);
        }
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        try
        {
            using var input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream(raw.Length * 4);
            input.CopyTo(output);
            // The trailer's ISIZE is the uncompressed length mod 2^32: a stream cut short rarely ends on a matching one.
            var isize = raw.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(raw.Length - 4)) : 0u;
            if (raw.Length < 18 || (uint)output.Length != isize)
                throw new InvalidDataException($"inflated {output.Length:N0} bytes but the trailer says {isize:N0}");
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFileException(path, $"the gzip stream is truncated or damaged ({e.Message}); download the file again", e);
        }
    }
}
