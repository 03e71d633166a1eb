namespace Backprop.Data;

/// <summary>A file to download and what it must be once downloaded.</summary>
/// <param name="Url">Where to get it (redirects are followed).</param>
/// <param name="Size">Its exact size in bytes.</param>
/// <param name="Sha256">Its SHA-256 (hex), when a trustworthy one is known.</param>
/// <param name="GitBlobSha1">Its git blob id (hex), as the repository that hosts it lists it, when known.</param>
public sealed record RemoteFile(Uri Url, long Size, string? Sha256 = null, string? GitBlobSha1 = null)
{
    /// <summary>How a file of that size and those hashes differs from this one, or null when it matches.</summary>
    public string? Mismatch(long size, string sha256, string gitBlobSha1) =>
        size != Size ? $"it has {size:N0} bytes; expected {Size:N0}"
        : Sha256 is { } s && !s.Equals(sha256, StringComparison.OrdinalIgnoreCase) ? $"its SHA-256 is {sha256}; expected {s}"
        : GitBlobSha1 is { } g && !g.Equals(gitBlobSha1, StringComparison.OrdinalIgnoreCase) ? $"its git blob id is {gitBlobSha1}; expected {g}"
        : null;

    /// <summary>What the file is checked against, e.g. <c>17,051,982 bytes, git blob 059aba0d…</c>.</summary>
    public string Expectation =>
        string.Join(", ", new[] { $"{Size:N0} bytes", Sha256 is null ? null : $"SHA-256 {Sha256}", GitBlobSha1 is null ? null : $"git blob {GitBlobSha1}" }.OfType<string>());
}
