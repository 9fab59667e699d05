using System.Collections.Concurrent;
using Blog.ServiceDefaults.Redaction;

namespace Blog.ApiService.RateLimiting;

/// <summary>
/// <c>rate_limit.rejected</c>: one warning per client and window, however many requests the client sends
/// into the closed window, so a script hammering the API cannot flood the logs. Accounts appear by id;
/// addresses are personal data and reach the logs only as a keyed hash.
/// </summary>
public sealed partial class RateLimitLog(ILogger<RateLimitLog> logger, TimeProvider clock)
{
    // Sweeping happens only when this many clients are remembered, so the usual case costs one lookup.
    private const int SweepThreshold = 1024;

    // The partitioned limiter replenishes windows on a 100 ms heartbeat, later still on a busy machine: a request
    // just after the announced retry time can still be refused, and is the same window for the operator.
    private static readonly TimeSpan ReplenishGrace = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _quietUntil = new(StringComparer.Ordinal);

    internal void Rejected(string policy, Client client, TimeSpan retryAfter, int retryAfterSeconds)
    {
        if (!FirstInWindow($"{policy}|{client.Key}", retryAfter + ReplenishGrace))
        {
            return;
        }

        // One event whoever was limited: an account by id, an address only as its keyed hash.
        Rejected(policy, client.UserId is null ? "address" : "account", client.UserId,
            client.UserId is null ? client.Address : null, retryAfterSeconds);
    }

    /// <summary>True for the first rejection of a client until the window it was rejected in has passed.</summary>
    internal bool FirstInWindow(string key, TimeSpan window)
    {
        var now = clock.GetUtcNow();
        while (true)
        {
            if (_quietUntil.TryGetValue(key, out var until))
            {
                if (now < until)
                {
                    return false;
                }

                if (_quietUntil.TryUpdate(key, now + window, until))
                {
                    return true;
                }
            }
            else if (_quietUntil.TryAdd(key, now + window))
            {
                if (_quietUntil.Count > SweepThreshold)
                {
                    Sweep(now);
                }

                return true;
            }
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, until) in _quietUntil)
        {
            if (until <= now)
            {
                _quietUntil.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, until));
            }
        }
    }

    [LoggerMessage(EventId = 6000, EventName = "rate_limit.rejected", Level = LogLevel.Warning,
        Message = "Rate limit {policy} reached by an {client_kind}; refusing for {retry_after_seconds} s")]
    private partial void Rejected(string policy, string client_kind, long? user_id,
        [PersonalData] string? client_address, int retry_after_seconds);
}
