using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Blog.ApiService.Users;

/// <summary>
/// Counts failed logins per client address and account. Only failures spend permits, so a user who
/// types the right password is never slowed down; keying by address and account keeps one noisy
/// client (or a NAT full of users) from locking everybody else out. Per replica, in memory.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public LoginThrottle(IOptions<AuthOptions> options)
    {
        var settings = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ =>
            new FixedWindowRateLimiterOptions
            {
                PermitLimit = settings.LoginFailureLimit,
                Window = settings.LoginFailureWindow,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <returns>null when the client may try, otherwise how long it must wait.</returns>
    public TimeSpan? CheckAllowed(IPAddress? client, string normalizedEmail)
    {
        // Zero permits asks "are any left?" without spending one.
        using var lease = _limiter.AttemptAcquire(Key(client, normalizedEmail), permitCount: 0);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    public void RecordFailure(IPAddress? client, string normalizedEmail) =>
        _limiter.AttemptAcquire(Key(client, normalizedEmail)).Dispose();

    public void Dispose() => _limiter.Dispose();

    private static string Key(IPAddress? client, string normalizedEmail) => $"{client}|{normalizedEmail}";
}
