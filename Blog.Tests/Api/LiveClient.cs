using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Blog.Tests.Api;

/// <summary>A WebSocket client of /api/live that collects every message it receives.</summary>
public sealed class LiveClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new() { Options = { CollectHttpResponseDetails = true } };
    private readonly Channel<JsonElement> _messages = Channel.CreateUnbounded<JsonElement>();
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiving;

    /// <summary>Which API process accepted the connection (from the upgrade response).</summary>
    public string? Instance { get; private set; }

    public WebSocketState State => _socket.State;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<LiveClient> ConnectAsync(Uri apiBase)
    {
        var client = new LiveClient();
        var uri = new UriBuilder(apiBase) { Scheme = apiBase.Scheme == "https" ? "wss" : "ws", Path = "/api/live" }.Uri;
        await client._socket.ConnectAsync(uri, CancellationToken.None);
        client.Instance = client._socket.HttpResponseHeaders?.TryGetValue("X-Blog-Instance", out var values) == true ? values.FirstOrDefault() : null;
        client._receiving = client.ReceiveAsync();
        return client;
    }

    /// <summary>Waits for a message matching <paramref name="match"/>; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(cts.Token);
                if (match(message))
                {
                    return message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No matching live message within {timeout}.");
        }
    }

    /// <summary>Completes when the server closes the connection.</summary>
    public Task Closed => _receiving ?? Task.CompletedTask;

    private async Task ReceiveAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                using var text = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, _stop.Token);
                    text.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Completes the handshake, as a browser does: the server waits for it before it lets go.
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                _messages.Writer.TryWrite(JsonDocument.Parse(Encoding.UTF8.GetString(text.ToArray())).RootElement.Clone());
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
            }
        }

        await _stop.CancelAsync();
        if (_receiving is not null)
        {
            await _receiving;
        }

        _socket.Dispose();
        _stop.Dispose();
    }
}
