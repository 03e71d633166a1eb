using System.Net;

namespace Backprop.Data;

/// <summary>
/// Downloads a <see cref="RemoteFile"/> safely: into a temporary file next to the destination, renamed over it only once
/// its size and hashes check out. On any failure the temporary file is deleted and the destination is left as it was.
/// </summary>
public static class Downloader
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
