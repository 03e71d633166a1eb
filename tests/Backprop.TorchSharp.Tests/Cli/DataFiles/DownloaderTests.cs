using System.Security.Cryptography;
using Backprop.Cli.DataFiles;
using Backprop.Data;

namespace Backprop.Tests.Cli.DataFiles;

public sealed class DownloaderTests
{
    private static readonly byte[] Fixture = File.ReadAllBytes(Repo.Fixture("mnist-small.pkl.gz"));
    private static readonly string FixtureSha256 = Convert.ToHexStringLower(SHA256.HashData(Fixture));

    private static RemoteFile Expect(Uri url, string? sha256 = null) => new(url, Fixture.Length, sha256 ?? FixtureSha256);

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });

    /// <summary>Collects reports synchronously (<see cref="Progress{T}"/> would post them to the thread pool).</summary>
    private sealed class Recorder : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];

        public void Report(DownloadProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task Serves_a_fixture_into_place_with_progress_and_no_temporary_file_left()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(200, Fixture));
        using var dir = new TempDir();
        var progress = new Recorder();

        var result = await Downloader.DownloadAsync(Expect(server.Url()), dir.File("mnist.pkl.gz"), progress, Http);

        Assert.True(result.Downloaded);
        Assert.Equal(FixtureSha256, result.Sha256);
        Assert.Equal(Fixture, File.ReadAllBytes(dir.File("mnist.pkl.gz")));
        Assert.Equal([dir.File("mnist.pkl.gz")], Directory.GetFiles(dir.Path));
        Assert.Equal(new DownloadProgress(Fixture.Length, Fixture.Length), progress.Reports[^1]);
        Assert.Equal(progress.Reports.OrderBy(p => p.BytesDone), progress.Reports);
        // And what arrived is the pickle the reader takes.
        using var m = MnistPickle.Load(result.Path);
        Assert.Equal([5L, 0, 4, 1, 9], m.YTrain.data<long>().ToArray());
    }

    [Fact]
    public async Task Follows_a_redirect_as_github_answers_raw_true()
    {
        await using var server = new LoopbackServer(path => path == "/blob?raw=true"
            ? new LoopbackResponse(302, [], Location: "/raw/mnist.pkl.gz")
            : new LoopbackResponse(200, Fixture));
        using var dir = new TempDir();

        await Downloader.DownloadAsync(Expect(server.Url("/blob?raw=true")), dir.File("mnist.pkl.gz"), http: Http);

        Assert.Equal(Fixture, File.ReadAllBytes(dir.File("mnist.pkl.gz")));
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task A_truncated_body_is_an_error_and_leaves_no_file()
    {
        // Content-Length says the whole fixture; the server sends half and closes.
        await using var server = new LoopbackServer(_ => new LoopbackResponse(200, Fixture, Send: Fixture.Length / 2));
        using var dir = new TempDir();

        var e = await Assert.ThrowsAsync<DownloadException>(() => Downloader.DownloadAsync(Expect(server.Url()), dir.File("mnist.pkl.gz"), http: Http));

        Assert.Contains($"after {Fixture.Length / 2:N0} of {Fixture.Length:N0} bytes", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_404_names_the_status_and_keeps_the_existing_file()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(404, "no such file"u8.ToArray()));
        using var dir = new TempDir();
        File.WriteAllText(dir.File("mnist.pkl.gz"), "an older copy");

        var e = await Assert.ThrowsAsync<DownloadException>(() => Downloader.DownloadAsync(Expect(server.Url()), dir.File("mnist.pkl.gz"), http: Http));

        Assert.Contains("the server answered 404 Not Found", e.Message);
        Assert.Equal(server.Url().ToString(), e.Url);
        Assert.Equal("an older copy", File.ReadAllText(dir.File("mnist.pkl.gz")));
        Assert.Equal([dir.File("mnist.pkl.gz")], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_hash_mismatch_is_an_error_and_keeps_the_existing_file()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(200, Fixture));
        using var dir = new TempDir();
        File.WriteAllText(dir.File("mnist.pkl.gz"), "an older copy");
        var wrong = new string('0', 64);

        var e = await Assert.ThrowsAsync<DownloadException>(() => Downloader.DownloadAsync(Expect(server.Url(), wrong), dir.File("mnist.pkl.gz"), http: Http));

        Assert.Contains($"its SHA-256 is {FixtureSha256}; expected {wrong}", e.Message);
        Assert.Equal("an older copy", File.ReadAllText(dir.File("mnist.pkl.gz")));
        Assert.Equal([dir.File("mnist.pkl.gz")], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_git_blob_mismatch_is_an_error()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(200, Fixture));
        using var dir = new TempDir();
        var expected = new RemoteFile(server.Url(), Fixture.Length, GitBlobSha1: new string('1', 40));

        var e = await Assert.ThrowsAsync<DownloadException>(() => Downloader.DownloadAsync(expected, dir.File("mnist.pkl.gz"), http: Http));

        Assert.Contains($"its git blob id is {FileDigestTests.SmallFixtureGitBlob}", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_size_the_server_announces_wrongly_is_refused_before_the_body()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(200, [.. Fixture, 0]));
        using var dir = new TempDir();

        var e = await Assert.ThrowsAsync<DownloadException>(() => Downloader.DownloadAsync(Expect(server.Url()), dir.File("mnist.pkl.gz"), http: Http));

        Assert.Contains($"the server offers {Fixture.Length + 1:N0} bytes; expected {Fixture.Length:N0}", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_good_copy_in_place_is_kept_without_asking_the_server()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(500, []));
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("mnist.pkl.gz"), Fixture);

        var result = await Downloader.DownloadAsync(Expect(server.Url()), dir.File("mnist.pkl.gz"), http: Http);

        Assert.False(result.Downloaded);
        Assert.Equal(FixtureSha256, result.Sha256);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task A_silent_server_times_out_with_an_error_and_no_file()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(200, Fixture, Send: 100, Stall: true));
        using var dir = new TempDir();

        var e = await Assert.ThrowsAsync<DownloadException>(() =>
            Downloader.DownloadAsync(Expect(server.Url()), dir.File("mnist.pkl.gz"), http: Http, idleTimeout: TimeSpan.FromSeconds(1)));

        Assert.Contains("the server sent nothing for 1 s (after 100 bytes)", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task A_refused_connection_is_a_network_error()
    {
        // A port that was free a moment ago: nothing listens there now.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var dir = new TempDir();

        var e = await Assert.ThrowsAsync<DownloadException>(() =>
            Downloader.DownloadAsync(Expect(new Uri($"http://127.0.0.1:{port}/mnist.pkl.gz")), dir.File("mnist.pkl.gz"), http: Http));

        Assert.Contains("network error", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public async Task Cancelling_removes_the_temporary_file()
    {
        await using var server = new LoopbackServer(_ => new LoopbackResponse(200, Fixture, Send: 100, Stall: true));
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var download = Downloader.DownloadAsync(Expect(server.Url()), dir.File("mnist.pkl.gz"), new CancelOnFirstReport(cts), Http, cancellationToken: cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);

        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    private sealed class CancelOnFirstReport(CancellationTokenSource cts) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => cts.Cancel();
    }
}
