using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Blog.ApiService.Live;

public static class LiveApi
{
    /// <summary>Idle clients are pinged this often, and dropped if they do not answer within <see cref="PongTimeout"/>.</summary>
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan PongTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapLive(this IEndpointRouteBuilder app)
    {
        // A feed connection lives as long as its client: the request deadline is for requests that answer.
        app.MapGet("/api/live", Connect).WithTags("Live").DisableRequestTimeout();
        return app;
    }

    public static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Connect(
        HttpContext http, LiveFeed feed, LiveLog log, IHostApplicationLifetime lifetime)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
                title: "WebSocket required", detail: "Connect to /api/live with a WebSocket client.");
        }

        http.Response.Headers["X-Blog-Instance"] = feed.InstanceId;
        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = PingInterval,
            KeepAliveTimeout = PongTimeout,
        });
        using var subscription = feed.Subscribe();
        var connectionId = http.TraceIdentifier;
        var started = Stopwatch.GetTimestamp();
        log.Connected(connectionId, feed.ConnectionCount);

        // Cancelling a pending WebSocket read or write aborts the socket without a close frame, so only
        // the wait for the next event is cancelled; the read loop ends when the client answers our close.
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var reason = "client closed";
        try
        {
            var receiving = ReceiveUntilCloseAsync(socket);
            var sending = SendEventsAsync(socket, subscription, stopSending.Token);
            await Task.WhenAny(receiving, sending);
            await stopSending.CancelAsync();
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                reason = "server stopping";
                await CloseAsync(socket, WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            }
            else
            {
                await CloseAsync(socket, WebSocketCloseStatus.NormalClosure, "bye");
            }

            await sending;
            await receiving.WaitAsync(CloseHandshakeTimeout);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
        {
            reason = "connection lost";
        }
        finally
        {
            subscription.Dispose();
            log.Disconnected(connectionId, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, reason);
        }

        return TypedResults.Empty;
    }

    private static async Task SendEventsAsync(WebSocket socket, LiveFeed.Subscription subscription, CancellationToken stop)
    {
        try
        {
            while (await subscription.Reader.WaitToReadAsync(stop))
            {
                while (socket.State == WebSocketState.Open && subscription.Reader.TryRead(out var liveEvent))
                {
                    var payload = JsonSerializer.SerializeToUtf8Bytes(liveEvent, LiveEvent.Json);
                    await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ReceiveUntilCloseAsync(WebSocket socket)
    {
        var buffer = new byte[1024];
        // Clients have nothing to say; reading is how a close frame (or a dead peer) is noticed.
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
        }
    }

    /// <summary>Sends our close frame; the read loop then receives the client's answer.</summary>
    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string description)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(status, description, CancellationToken.None);
        }
    }
}
