using System.Net.WebSockets;

namespace Blog.Bench.Load;

/// <summary>
/// Live-feed clients: each holds one WebSocket to <c>/api/live</c>, counts the events it hears, and when the
/// connection drops connects again at once, to the next replica in turn (so to a live one if its replica died).
/// </summary>
public sealed class LiveClients(ApiTargets targets, Recorder recorder)
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    public async Task RunAsync(int client, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var replica = targets.Next();
            var uri = new UriBuilder(targets[replica]) { Scheme = "ws", Path = "/api/live" }.Uri;
            using var socket = new ClientWebSocket();
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                connectTimeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(uri, connectTimeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                if (ct.IsCancellationRequested)
                {
                    return;
                }

                targets.Eject(replica);
                recorder.LiveConnectFailed(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                await Task.Delay(RetryPause, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            var connectedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var (events, reason) = await ListenAsync(socket, ct);
            recorder.Live(new LiveConnection(client, targets[replica].Authority, connectedMs,
                ct.IsCancellationRequested ? null : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), events, reason));
        }
    }

    private static async Task<(long Events, string? Reason)> ListenAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        long events = 0;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return (events, $"closed by server ({socket.CloseStatus})");
                }

                if (result.EndOfMessage)
                {
                    events++;
                }
            }

            return (events, socket.State.ToString());
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The run is over: close politely so the server's count of connections is right.
            using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "run over", closeTimeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server went away meanwhile; nothing left to close.
            }

            return (events, null);
        }
        catch (WebSocketException ex)
        {
            return (events, $"dropped ({ex.WebSocketErrorCode})");
        }
    }
}
