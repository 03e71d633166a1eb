namespace Backprop.Data;

/// <summary>A download that failed: the server's answer, the network, or a file that is not the one expected. Nothing was written.</summary>
/// <param name="url">The address.</param>
/// <param name="problem">What went wrong and what to do.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class DownloadException(string url, string problem, Exception? inner = null)
    : Exception($"downloading {url}: {problem}", inner)
{
    /// <summary>The address.</summary>
    public string Url { get; } = url;

    /// <summary>What went wrong.</summary>
    public string Problem { get; } = problem;
}
