using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backprop.Tests;

/// <summary>What <see cref="LoopbackServer"/> answers to one request.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Body">The body.</param>
/// <param name="ContentLength">The Content-Length header (default: the body's length).</param>
/// <param name="Send">How many body bytes to send before closing (default: all).</param>
/// <param name="Location">A Location header, for redirects.</param>
/// <param name="Stall">Send the headers and <paramref name="Send"/> bytes, then keep the connection open and silent.</param>
internal sealed record LoopbackResponse(int Status, byte[] Body, long? ContentLength = null, int? Send = null, string? Location = null, bool Stall = false);

/// <summary>A minimal HTTP/1.1 server on 127.0.0.1 (a free port) that answers each request by its path.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, LoopbackResponse> _respond;
    private readonly Task _loop;
    private int _requests;

    public LoopbackServer(Func<string, LoopbackResponse> respond)
    {
        _respond = respond;
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The address of <paramref name="path"/> on this server.</summary>
    public Uri Url(string path = "/mnist.pkl.gz") => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}");

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var path = await ReadRequestPathAsync(stream);
            Interlocked.Increment(ref _requests);
            var r = _respond(path);
            var head = new StringBuilder($"HTTP/1.1 {r.Status} {ReasonPhrase(r.Status)}\r\n")
                .Append($"Content-Length: {r.ContentLength ?? r.Body.Length}\r\n")
                .Append(r.Location is null ? "" : $"Location: {r.Location}\r\n")
                .Append("Connection: close\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
            await stream.WriteAsync(r.Body.AsMemory(0, r.Send ?? r.Body.Length), _stop.Token);
            await stream.FlushAsync(_stop.Token);
            if (r.Stall) await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away, or the server is stopping.
        }
    }

    private static async Task<string> ReadRequestPathAsync(NetworkStream stream)
    {
        var request = new StringBuilder();
        var buffer = new byte[1024];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0) break;
            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        // "GET /path HTTP/1.1"
        return request.ToString().Split(' ') is [_, var path, ..] ? path : "/";
    }

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
