using Blog.ApiService.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Blog.Tests.Unit.Caching;

/// <summary>Redis behind HybridCache: an outage is a cache miss and a couple of log lines, never an error per request.</summary>
public sealed class FailSoftDistributedCacheTests
{
    private static readonly DistributedCacheEntryOptions Entry = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) };

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private readonly FlakyCache _redis = new();
    private readonly FakeLogger<FailSoftDistributedCache> _logger = new();

    private FailSoftDistributedCache Cache() => new(_redis, _clock, _logger);

    [Fact]
    public async Task While_redis_fails_reads_miss_writes_are_skipped_and_the_circuit_stops_calling_it()
    {
        var cache = Cache();
        _redis.Failure = new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No connection is available");

        Assert.Null(await cache.GetAsync("post:1"));
        await cache.SetAsync("post:1", [1, 2, 3], Entry);
        var callsWhenOpened = _redis.Calls;
        for (var i = 0; i < 50; i++)
        {
            Assert.Null(await cache.GetAsync("post:1"));
            await cache.RemoveAsync("post:1");
            Assert.Null(cache.Get("post:1"));
        }

        Assert.Equal(2, callsWhenOpened);
        Assert.Equal(callsWhenOpened, _redis.Calls);
        var unavailable = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, unavailable.Level);
        Assert.Equal("cache.unavailable", unavailable.Id.Name);
        Assert.Contains("RedisConnectionException", unavailable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hung_redis_times_out_once_and_later_calls_skip_it()
    {
        var cache = Cache();
        _redis.Failure = new RedisTimeoutException("Timeout awaiting response", CommandStatus.Sent);

        Assert.Null(await cache.GetAsync("a"));
        Assert.Null(await cache.GetAsync("b"));
        Assert.Null(await cache.GetAsync("c"));

        Assert.Equal(2, _redis.Calls);
    }

    [Fact]
    public async Task After_the_break_a_working_redis_is_used_again_and_the_recovery_is_logged_once()
    {
        var cache = Cache();
        _redis.Failure = new RedisConnectionException(ConnectionFailureType.SocketFailure, "down");
        await cache.GetAsync("post:1");
        await cache.GetAsync("post:1");

        _redis.Failure = null;
        _clock.Advance(FailSoftDistributedCache.BreakDuration + TimeSpan.FromMilliseconds(1));
        await cache.SetAsync("post:1", [7], Entry);

        Assert.Equal([7], await cache.GetAsync("post:1"));
        var records = _logger.Collector.GetSnapshot();
        Assert.Equal(["cache.unavailable", "cache.recovered"], records.Select(r => r.Id.Name));
        Assert.DoesNotContain(records, r => r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task A_long_outage_is_reported_again_at_most_once_a_minute()
    {
        var cache = Cache();
        _redis.Failure = new RedisConnectionException(ConnectionFailureType.UnableToConnect, "down");
        // Every break the circuit half-opens, tries Redis once, fails and opens again: twelve times a minute.
        for (var second = 0; second < 120; second++)
        {
            await cache.GetAsync("post:1");
            await cache.GetAsync("post:1");
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.InRange(_logger.Collector.GetSnapshot().Count(r => r.Id.Name == "cache.unavailable"), 2, 3);
    }

    [Fact]
    public async Task Cancellation_and_other_failures_are_not_hidden()
    {
        var cache = Cache();
        _redis.Failure = new OperationCanceledException();
        await Assert.ThrowsAsync<OperationCanceledException>(() => cache.GetAsync("post:1"));

        _redis.Failure = new InvalidOperationException("a bug");
        Assert.Throws<InvalidOperationException>(() => cache.Get("post:1"));
    }

    /// <summary>An in-memory IDistributedCache that throws <see cref="Failure"/> while it is set, counting calls.</summary>
    private sealed class FlakyCache : IDistributedCache
    {
        private readonly Dictionary<string, byte[]> _values = [];

        public Exception? Failure { get; set; }

        public int Calls { get; private set; }

        public byte[]? Get(string key) => Call(() => _values.GetValueOrDefault(key));

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Call(() => _values[key] = value);

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            Set(key, value, options);
            return Task.CompletedTask;
        }

        public void Refresh(string key) => Call(() => true);

        public Task RefreshAsync(string key, CancellationToken token = default)
        {
            Refresh(key);
            return Task.CompletedTask;
        }

        public void Remove(string key) => Call(() => _values.Remove(key));

        public Task RemoveAsync(string key, CancellationToken token = default)
        {
            Remove(key);
            return Task.CompletedTask;
        }

        private T Call<T>(Func<T> call)
        {
            Calls++;
            return Failure is null ? call() : throw Failure;
        }
    }
}
