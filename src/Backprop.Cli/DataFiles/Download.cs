using System.Net;
using System.Security.Cryptography;
using System.Text;

using Backprop.Data;

namespace Backprop.Cli.DataFiles;

/// <summary>
/// Downloads a <see cref="RemoteFile"/> safely: into a temporary file next to the destination, renamed over it only once
/// its size and hashes check out. On any failure the temporary file is deleted and the destination is left as it was.
/// </summary>
internal static class Downloader
{
    /// <summary>How long the server may stay silent (before its answer, or between two reads of the body) by default.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(30);

    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient(
        new SocketsHttpHandler { ConnectTimeout = DefaultIdleTimeout, AutomaticDecompression = DecompressionMethods.None })
    {
        Timeout = Timeout.InfiniteTimeSpan, // the idle timeout below bounds every wait instead
    });

    /// <summary>Downloads <paramref name="file"/> to <paramref name="destination"/>, unless a good copy is already there.</summary>
    /// <param name="file">What to fetch and what it must be.</param>
    /// <param name="destination">The file to create or replace; its folder is created if needed.</param>
    /// <param name="progress">Told the bytes done and expected after every read.</param>
    /// <param name="http">The client to use (default: a shared one that follows redirects).</param>
    /// <param name="idleTimeout">How long the server may stay silent (default <see cref="DefaultIdleTimeout"/>).</param>
    /// <param name="cancellationToken">Stops the download (the temporary file is removed; <see cref="OperationCanceledException"/> propagates).</param>
    /// <exception cref="DownloadException">An HTTP error status, a network error or timeout, a body cut short, a size or hash mismatch, or a file that cannot be written.</exception>
    public static async Task<DownloadResult> DownloadAsync(
        RemoteFile file, string destination, IProgress<DownloadProgress>? progress = null, HttpClient? http = null,
        TimeSpan? idleTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var url = file.Url.ToString();
        destination = Path.GetFullPath(destination);
        if (Check(file, destination) is { Status: FileStatus.Ok })
            return new DownloadResult(destination, file.Size, FileDigest.Of(destination).Sha256, Downloaded: false);

        var folder = Path.GetDirectoryName(destination)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.part");
        try
        {
            Directory.CreateDirectory(folder);
            var sha256 = await FetchAsync(file, temp, progress, http ?? SharedClient.Value, idleTimeout ?? DefaultIdleTimeout, cancellationToken).ConfigureAwait(false);
            File.Move(temp, destination, overwrite: true); // atomic on one file system: the old file stays whole until now
            return new DownloadResult(destination, file.Size, sha256, Downloaded: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DownloadException(url, $"cannot write {temp} or {destination}: {e.Message}", e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>Whether the file at <paramref name="path"/> is <paramref name="file"/>: its size and whichever hashes are known.</summary>
    public static FileCheck Check(RemoteFile file, string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        var name = Path.GetFileName(path);
        if (!File.Exists(path)) return new FileCheck(name, path, FileStatus.Missing, "missing");
        try
        {
            var (size, sha256, gitBlobSha1) = FileDigest.Of(path);
            return file.Mismatch(size, sha256, gitBlobSha1) is { } problem
                ? new FileCheck(name, path, FileStatus.Mismatch, problem)
                : new FileCheck(name, path, FileStatus.Ok, $"{size:N0} bytes, SHA-256 {sha256}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FileCheck(name, path, FileStatus.Unreadable, e.Message);
        }
    }

    /// <summary>Streams the body into <paramref name="temp"/>, verifying it; returns its SHA-256.</summary>
    private static async Task<string> FetchAsync(
        RemoteFile file, string temp, IProgress<DownloadProgress>? progress, HttpClient http, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var url = file.Url.ToString();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long done = 0;
        try
        {
            idle.CancelAfter(idleTimeout);
            using var response = await http.GetAsync(file.Url, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new DownloadException(url, $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}; check the address, or try again later");
            if (response.Content.Headers.ContentLength is { } length && length != file.Size)
                throw new DownloadException(url, $"the server offers {length:N0} bytes; expected {file.Size:N0}. The file there is not the one expected");

            using var digest = new FileDigest(file.Size);
            var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, useAsync: true);
                await using (output.ConfigureAwait(false))
                {
                    var buffer = new byte[1 << 16];
                    while (true)
                    {
                        idle.CancelAfter(idleTimeout);
                        int n;
                        try
                        {
                            n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
                        }
                        catch (IOException e)
                        {
                            throw new DownloadException(url, $"the connection broke after {done:N0} of {file.Size:N0} bytes ({e.Message}); try again", e);
                        }
                        if (n == 0) break;
                        done += n;
                        if (done > file.Size)
                            throw new DownloadException(url, $"the server sent more than the expected {file.Size:N0} bytes. The file there is not the one expected");
                        digest.Append(buffer.AsSpan(0, n));
                        await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                        progress?.Report(new DownloadProgress(done, file.Size));
                    }
                    output.Flush(flushToDisk: true);
                }
            }
            if (done != file.Size)
                throw new DownloadException(url, $"the body ended after {done:N0} of {file.Size:N0} bytes; try again");
            var (sha256, gitBlobSha1) = digest.Finish();
            if (file.Mismatch(done, sha256, gitBlobSha1) is { } problem)
                throw new DownloadException(url, $"the downloaded file is not the one expected: {problem}");
            return sha256;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DownloadException(url, $"the server sent nothing for {idleTimeout.TotalSeconds:0.#} s (after {done:N0} bytes); check your connection and try again", e);
        }
        catch (HttpRequestException e)
        {
            throw new DownloadException(url, $"network error: {e.Message}; check your connection and try again", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the .part name never collides with a real file, and a later download uses a fresh one.
        }
    }
}

/// <summary>A download that failed: the server's answer, the network, or a file that is not the one expected. Nothing was written.</summary>
/// <param name="url">The address.</param>
/// <param name="problem">What went wrong and what to do.</param>
/// <param name="inner">The underlying error, if any.</param>
internal sealed class DownloadException(string url, string problem, Exception? inner = null)
    : Exception($"downloading {url}: {problem}", inner)
{
    /// <summary>The address.</summary>
    public string Url { get; } = url;

    /// <summary>What went wrong.</summary>
    public string Problem { get; } = problem;
}

/// <summary>How far a download has come.</summary>
/// <param name="BytesDone">Bytes received so far.</param>
/// <param name="TotalBytes">Bytes expected in all.</param>
internal readonly record struct DownloadProgress(long BytesDone, long TotalBytes)
{
    /// <summary>Done as a fraction, 0 to 1.</summary>
    public double Fraction => TotalBytes > 0 ? Math.Min(1, (double)BytesDone / TotalBytes) : 0;
}

/// <summary>A verified file in place.</summary>
/// <param name="Path">Where it is.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Sha256">Its SHA-256 (hex).</param>
/// <param name="Downloaded">False when a good copy was already there and nothing was fetched.</param>
internal sealed record DownloadResult(string Path, long Size, string Sha256, bool Downloaded);

/// <summary>A file to download and what it must be once downloaded.</summary>
/// <param name="Url">Where to get it (redirects are followed).</param>
/// <param name="Size">Its exact size in bytes.</param>
/// <param name="Sha256">Its SHA-256 (hex), when a trustworthy one is known.</param>
/// <param name="GitBlobSha1">Its git blob id (hex), as the repository that hosts it lists it, when known.</param>
internal sealed record RemoteFile(Uri Url, long Size, string? Sha256 = null, string? GitBlobSha1 = null)
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

/// <summary>The course's <c>mnist.pkl.gz</c>: where the lessons get it, and what it must be.</summary>
internal static class MnistDownload
{
    /// <summary>The lessons' <c>MNIST_URL</c>.</summary>
    public const string CourseUrl = "https://github.com/mnielsen/neural-networks-and-deep-learning/blob/master/data/mnist.pkl.gz?raw=true";

    /// <summary>
    /// The file at <see cref="CourseUrl"/>: 17,051,982 bytes, git blob <c>059aba0d982e20e2ac125a3a59d89c3c2cd8b28a</c>
    /// (the id in that repository's tree for <c>data/mnist.pkl.gz</c>, unchanged since March 2014). No SHA-256 is
    /// published for it anywhere we could find, so none is pinned: the git blob id is the source's own hash.
    /// </summary>
    public static RemoteFile CourseFile { get; } =
        new(new Uri(CourseUrl), 17_051_982, Sha256: null, GitBlobSha1: "059aba0d982e20e2ac125a3a59d89c3c2cd8b28a");

    /// <summary>Where the course's file goes in a data folder: <c>dataDir/mnist.pkl.gz</c>.</summary>
    public static string PathIn(string dataDir) => Path.Combine(dataDir, MnistPickle.FileName);

    /// <summary>Downloads the course's file into <paramref name="dataDir"/>, unless a good copy is already there.</summary>
    /// <param name="dataDir">The data folder (e.g. <see cref="Mnist.DefaultDirectory()"/>).</param>
    /// <param name="progress">Told the bytes done and expected as the download goes.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <exception cref="DownloadException">The download failed; nothing was written.</exception>
    public static Task<DownloadResult> DownloadAsync(string dataDir, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Downloader.DownloadAsync(CourseFile, PathIn(dataDir), progress, cancellationToken: cancellationToken);
}

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
