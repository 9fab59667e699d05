using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Blog.ApiService.Posts;
using Blog.ServiceDefaults.Metrics;
using StackExchange.Redis;

namespace Blog.ApiService.Live;

/// <summary>
/// Fans live events out through Redis pub/sub, so a client connected to any replica hears about a
/// write made through any other. Every replica also drops its in-process cache copy of a changed
/// post when it hears the event. If Redis is unreachable the event still reaches this replica's
/// clients; other replicas miss it until Redis is back.
/// </summary>
public sealed class LiveFeed(IConnectionMultiplexer redis, PostCache postCache, LiveLog log, BlogMetrics metrics) : BackgroundService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("blog:live");
    private static readonly TimeSpan SubscribeRetryDelay = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, Channel<LiveEvent>> _subscribers = new();

    /// <summary>Names this process on the live handshake, so "which replica was that client on?" has an answer.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    public int ConnectionCount => _subscribers.Count;

    public async Task PublishAsync(LiveEvent liveEvent, CancellationToken ct = default)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(liveEvent, LiveEvent.Json));
            log.FanOutSucceeded();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // A hung Redis times out (RedisTimeoutException is a TimeoutException, not a RedisException).
            log.FanOutFailed(ex);
            await DeliverAsync(liveEvent, ct);
        }
    }

    /// <summary>Registers a connection; dispose the result to leave.</summary>
    public Subscription Subscribe()
    {
        // Bounded: a client that stops reading loses old events rather than growing memory without limit.
        var channel = System.Threading.Channels.Channel.CreateBounded<LiveEvent>(
            new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var id = Guid.NewGuid();
        _subscribers[id] = channel;
        return new Subscription(channel.Reader, () =>
        {
            _subscribers.TryRemove(id, out _);
            channel.Writer.TryComplete();
        });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.ObserveWebSocketConnections(() => ConnectionCount);

        // StackExchange.Redis re-subscribes by itself after a reconnect; only the first subscribe needs retrying.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var queue = await redis.GetSubscriber().SubscribeAsync(Channel);
                queue.OnMessage(async message =>
                {
                    if (message.Message.HasValue
                        && JsonSerializer.Deserialize<LiveEvent>(message.Message.ToString(), LiveEvent.Json) is { } liveEvent)
                    {
                        await DeliverAsync(liveEvent, stoppingToken);
                    }
                });
                log.Subscribed();
                log.FanOutSucceeded();
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                log.FanOutFailed(ex);
                await Task.Delay(SubscribeRetryDelay, stoppingToken);
            }
        }
    }

    private async Task DeliverAsync(LiveEvent liveEvent, CancellationToken ct)
    {
        if (liveEvent.ChangesPost)
        {
            await postCache.InvalidatePostAsync(liveEvent.PostId, ct);
        }

        foreach (var subscriber in _subscribers.Values)
        {
            subscriber.Writer.TryWrite(liveEvent);
        }
    }

    public sealed class Subscription(ChannelReader<LiveEvent> reader, Action leave) : IDisposable
    {
        public ChannelReader<LiveEvent> Reader { get; } = reader;

        public void Dispose() => leave();
    }
}
