using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text.Json;
using Blog.ServiceDefaults.Metrics;

namespace Blog.Web.Live;

/// <summary>What the API's live feed announces: ids and a title, never a body.</summary>
public sealed record LiveEvent(string Type, long PostId, long? CommentId, string? Title, long AuthorId);

/// <summary>
/// Keeps one WebSocket to the API's live feed for the whole web server and re-publishes its events to the
/// open pages (circuits), which refresh what they show. Reconnects with a short back-off when the API goes.
/// </summary>
public sealed partial class LiveUpdates : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    private readonly IConfiguration configuration;
    private readonly ILogger<LiveUpdates> logger;

    public LiveUpdates(IConfiguration configuration, ILogger<LiveUpdates> logger, IMeterFactory meterFactory)
    {
        this.configuration = configuration;
        this.logger = logger;
        // Connected circuits listening now: it must fall back when tabs close, or something keeps pages alive.
        meterFactory.Create(BlogMetrics.MeterName).CreateObservableGauge("live_feed_subscriptions", () => Subscriptions,
            description: "Connected circuits listening to the live feed");
    }

    public event Func<LiveEvent, Task>? Received;

    /// <summary>How many listeners the feed has (one per connected circuit with a live page).</summary>
    public int Subscriptions => Received?.GetInvocationList().Length ?? 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(LiveUri(), stoppingToken);
                failures = 0;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or InvalidOperationException or JsonException)
            {
                // One warning when the feed goes; the attempts that follow while the API is away are Debug.
                if (failures == 0)
                {
                    Disconnected(logger, ex.GetType().Name);
                }
                else
                {
                    ReconnectFailed(logger, failures, ex.GetType().Name);
                }

                failures++;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(Backoff[Math.Min(failures, Backoff.Length - 1)], stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task ListenAsync(Uri uri, CancellationToken stoppingToken)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, stoppingToken);
        Connected(logger);
        var buffer = new byte[16 * 1024];
        while (socket.State == WebSocketState.Open)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, stoppingToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer the close (an API replica shutting down waits for it), then reconnect elsewhere.
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);

            if (JsonSerializer.Deserialize<LiveEvent>(message.ToArray(), Json) is { } liveEvent && Received is { } handlers)
            {
                foreach (var handler in handlers.GetInvocationList().Cast<Func<LiveEvent, Task>>())
                {
                    try
                    {
                        await handler(liveEvent);
                    }
                    catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
                    {
                        // A page that closed while the event was on its way; the others still get it.
                    }
                }
            }
        }
    }

    /// <summary>The API's address as Aspire's service discovery configuration gives it.</summary>
    private Uri LiveUri()
    {
        var http = configuration["services:apiservice:http:0"] ?? configuration["services:apiservice:https:0"]
            ?? throw new InvalidOperationException("No address for the API service (services:apiservice:http:0).");
        var builder = new UriBuilder(http) { Path = "/api/live" };
        builder.Scheme = builder.Scheme == "https" ? "wss" : "ws";
        return builder.Uri;
    }

    [LoggerMessage(EventId = 5100, EventName = "live.feed_connected", Level = LogLevel.Information, Message = "Listening to the API's live feed")]
    private static partial void Connected(ILogger logger);

    [LoggerMessage(EventId = 5101, EventName = "live.feed_lost", Level = LogLevel.Warning, Message = "Lost the API's live feed ({error}); reconnecting")]
    private static partial void Disconnected(ILogger logger, string error);

    [LoggerMessage(EventId = 5102, EventName = "live.feed_reconnect_failed", Level = LogLevel.Debug, Message = "Reconnecting to the API's live feed failed ({attempts} attempts, {error})")]
    private static partial void ReconnectFailed(ILogger logger, int attempts, string error);
}
