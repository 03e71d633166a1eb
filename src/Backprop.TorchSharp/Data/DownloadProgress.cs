namespace Backprop.Data;

/// <summary>How far a download has come.</summary>
/// <param name="BytesDone">Bytes received so far.</param>
/// <param name="TotalBytes">Bytes expected in all.</param>
public readonly record struct DownloadProgress(long BytesDone, long TotalBytes)
{
    /// <summary>Done as a fraction, 0 to 1.</summary>
    public double Fraction => TotalBytes > 0 ? Math.Min(1, (double)BytesDone / TotalBytes) : 0;
}
