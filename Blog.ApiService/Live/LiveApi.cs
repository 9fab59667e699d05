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

    public static IEndpointRouteBuilder MapLive(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/live", Connect).WithTags("Live");
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

        using var done = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var reason = "client closed";
        try
        {
            var receiving = ReceiveUntilCloseAsync(socket, done.Token);
            var sending = SendEventsAsync(socket, subscription, done.Token);
            await Task.WhenAny(receiving, sending);
            if (lifetime.ApplicationStopping.IsCancellationRequested)
            {
                reason = "server stopping";
                await CloseAsync(socket, WebSocketCloseStatus.EndpointUnavailable, "server shutting down");
            }
            else if (socket.State == WebSocketState.CloseReceived)
            {
                await CloseAsync(socket, WebSocketCloseStatus.NormalClosure, "bye");
            }

            await done.CancelAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
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

    private static async Task SendEventsAsync(WebSocket socket, LiveFeed.Subscription subscription, CancellationToken ct)
    {
        try
        {
            await foreach (var liveEvent in subscription.Reader.ReadAllAsync(ct))
            {
                var payload = JsonSerializer.SerializeToUtf8Bytes(liveEvent, LiveEvent.Json);
                await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ReceiveUntilCloseAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[1024];
        try
        {
            // Clients have nothing to say; reading is how a close frame (or a dead peer) is noticed.
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string description)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseAsync(status, description, timeout.Token);
        }
    }
}
