using System.Buffers;
using Blog.ServiceDefaults.Logging;
using Microsoft.Extensions.Caching.Distributed;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Blog.ApiService.Infrastructure;

/// <summary>
/// Redis as HybridCache's second level, failing soft: while Redis is unreachable or hung, a read is a miss and a
/// write or removal is skipped (the in-process copy and PostgreSQL still answer; Redis entries age out within their
/// expiration). A circuit breaker stops calling Redis for <see cref="BreakDuration"/> after repeated failures, so
/// a hung Redis costs the first requests its timeout rather than every request. Without this, HybridCache logs an
/// error per request for each failed read and write: hundreds of Sentry events for one short outage.
/// The outage is logged at its first failure (then at most once a minute, with the count) and when the circuit closes again.
/// </summary>
public sealed partial class FailSoftDistributedCache : IBufferDistributedCache
{
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(5);

    private readonly IDistributedCache _inner;
    private readonly IBufferDistributedCache? _buffers;
    private readonly ResiliencePipeline _pipeline;
    private readonly FailureReportThrottle _reports;
    private readonly ILogger _logger;
    private int _skipped;

    public FailSoftDistributedCache(IDistributedCache inner, TimeProvider clock, ILogger<FailSoftDistributedCache> logger)
    {
        _inner = inner;
        _buffers = inner as IBufferDistributedCache;
        _logger = logger;
        _reports = new FailureReportThrottle(clock, TimeSpan.FromMinutes(1));
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RedisException>().Handle<TimeoutException>(),
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = BreakDuration,
                OnClosed = _ =>
                {
                    _reports.Reset();
                    Recovered(_logger, Interlocked.Exchange(ref _skipped, 0));
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public byte[]? Get(string key) => Run(static (c, k) => c._inner.Get(k), key, null);

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        RunAsync(static (c, k, ct) => new ValueTask<byte[]?>(c._inner.GetAsync(k, ct)), key, null, token).AsTask();

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) =>
        Run(static (c, s) => { c._inner.Set(s.key, s.value, s.options); return true; }, (key, value, options), false);

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        RunAsync(static async (c, s, ct) => { await c._inner.SetAsync(s.key, s.value, s.options, ct); return true; }, (key, value, options), false, token).AsTask();

    public void Refresh(string key) => Run(static (c, k) => { c._inner.Refresh(k); return true; }, key, false);

    public Task RefreshAsync(string key, CancellationToken token = default) =>
        RunAsync(static async (c, k, ct) => { await c._inner.RefreshAsync(k, ct); return true; }, key, false, token).AsTask();

    public void Remove(string key) => Run(static (c, k) => { c._inner.Remove(k); return true; }, key, false);

    public Task RemoveAsync(string key, CancellationToken token = default) =>
        RunAsync(static async (c, k, ct) => { await c._inner.RemoveAsync(k, ct); return true; }, key, false, token).AsTask();

    public bool TryGet(string key, IBufferWriter<byte> destination) => _buffers is null
        ? CopyTo(Get(key), destination)
        : Run(static (c, s) => c._buffers!.TryGet(s.key, s.destination), (key, destination), false);

    public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) => _buffers is null
        ? CopyToAsync(GetAsync(key, token), destination)
        : RunAsync(static (c, s, ct) => c._buffers!.TryGetAsync(s.key, s.destination, ct), (key, destination), false, token);

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        if (_buffers is null)
        {
            Set(key, value.ToArray(), options);
            return;
        }

        Run(static (c, s) => { c._buffers!.Set(s.key, s.value, s.options); return true; }, (key, value, options), false);
    }

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        if (_buffers is null)
        {
            await SetAsync(key, value.ToArray(), options, token);
            return;
        }

        await RunAsync(static async (c, s, ct) => { await c._buffers!.SetAsync(s.key, s.value, s.options, ct); return true; },
            (key, value, options), false, token);
    }

    private TResult Run<TState, TResult>(Func<FailSoftDistributedCache, TState, TResult> call, TState state, TResult fallback)
    {
        try
        {
            return _pipeline.Execute(static s => s.call(s.cache, s.state), (cache: this, call, state));
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex);
            return fallback;
        }
    }

    private async ValueTask<TResult> RunAsync<TState, TResult>(
        Func<FailSoftDistributedCache, TState, CancellationToken, ValueTask<TResult>> call, TState state, TResult fallback, CancellationToken token)
    {
        try
        {
            return await _pipeline.ExecuteAsync(static (s, ct) => s.call(s.cache, s.state, ct), (cache: this, call, state), token);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed(ex);
            return fallback;
        }
    }

    /// <summary>A call that failed or was skipped: the first is logged, then at most one a minute with the count.</summary>
    private void Failed(Exception ex)
    {
        if (ex is BrokenCircuitException)
        {
            Interlocked.Increment(ref _skipped);
        }
        else if (_reports.ShouldReport(out var failures))
        {
            Unavailable(_logger, ex.GetType().Name, failures, Interlocked.Exchange(ref _skipped, 0));
        }
    }

    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException or BrokenCircuitException;

    private static bool CopyTo(byte[]? value, IBufferWriter<byte> destination)
    {
        if (value is null)
        {
            return false;
        }

        destination.Write(value);
        return true;
    }

    private static async ValueTask<bool> CopyToAsync(Task<byte[]?> value, IBufferWriter<byte> destination) => CopyTo(await value, destination);

    [LoggerMessage(EventId = 3101, EventName = "cache.unavailable", Level = LogLevel.Warning,
        Message = "Redis is not answering ({error_type}); cache reads miss and writes are skipped ({failures} failed calls and {skipped_calls} calls without Redis since the last report)")]
    private static partial void Unavailable(ILogger logger, string error_type, int failures, int skipped_calls);

    [LoggerMessage(EventId = 3102, EventName = "cache.recovered", Level = LogLevel.Information,
        Message = "Redis answers again ({skipped_calls} cache calls skipped since the last report)")]
    private static partial void Recovered(ILogger logger, int skipped_calls);
}
