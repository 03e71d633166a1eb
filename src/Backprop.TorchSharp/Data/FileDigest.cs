using System.Security.Cryptography;
using System.Text;

namespace Backprop.Data;

/// <summary>
/// The SHA-256 of a file's bytes and its git blob id (SHA-1 of <c>"blob {size}\0"</c> and the bytes: the hash GitHub
/// shows for a file in a repository), computed in one pass as the bytes go by.
/// </summary>
/// <param name="size">The file's size in bytes, which git's blob id hashes first.</param>
internal sealed class FileDigest(long size) : IDisposable
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _gitBlob = GitBlobHash(size);

    /// <summary>Adds the next bytes.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        _sha256.AppendData(bytes);
        _gitBlob.AppendData(bytes);
    }

    /// <summary>Lower-case hex SHA-256 and git blob id of the bytes appended.</summary>
    public (string Sha256, string GitBlobSha1) Finish() =>
        (Convert.ToHexStringLower(_sha256.GetHashAndReset()), Convert.ToHexStringLower(_gitBlob.GetHashAndReset()));

    /// <summary>Digests the file at <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static (long Size, string Sha256, string GitBlobSha1) Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using var digest = new FileDigest(stream.Length);
        var buffer = new byte[1 << 16];
        long size = 0;
        for (int n; (n = stream.Read(buffer)) > 0; size += n) digest.Append(buffer.AsSpan(0, n));
        var (sha256, gitBlobSha1) = digest.Finish();
        return (size, sha256, gitBlobSha1);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _sha256.Dispose();
        _gitBlob.Dispose();
    }

#pragma warning disable CA5350 // SHA-1 here is git's object id, which the source repository publishes: a checksum, not a security boundary.
    private static IncrementalHash GitBlobHash(long size)
    {
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hash.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
        return hash;
    }
#pragma warning restore CA5350
}
