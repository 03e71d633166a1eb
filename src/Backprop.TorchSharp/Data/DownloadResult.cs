namespace Backprop.Data;

/// <summary>A verified file in place.</summary>
/// <param name="Path">Where it is.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Sha256">Its SHA-256 (hex).</param>
/// <param name="Downloaded">False when a good copy was already there and nothing was fetched.</param>
public sealed record DownloadResult(string Path, long Size, string Sha256, bool Downloaded);
