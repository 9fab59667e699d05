using System.Globalization;
using System.Threading.RateLimiting;
using Blog.ApiService.Users;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Blog.ApiService.RateLimiting;

/// <summary>
/// The rate limits on writes, applied once per route group with <c>RequireRateLimiting</c>. Only creating
/// (POST) spends permits: reads, edits and deletes in the same group pass untouched. Reads are never
/// limited per address here, because a reverse proxy or CDN in front of them answers for many people at
/// once. Per replica, in memory, like the login throttle.
/// </summary>
public static class WriteRateLimits
{
    public const string Registrations = "registrations";
    public const string Posts = "posts";
    public const string Comments = "comments";

    public static IServiceCollection AddWriteRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RateLimitingOptions>, RateLimitingOptionsValidator>();
        services.AddSingleton<RateLimitLog>();
        services.AddClientAddresses();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingOptions>, RateLimitLog>((limiter, configured, log) =>
        {
            var options = configured.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Registrations, new WritePolicy(Registrations, options.Enabled, options.Registrations, perAccount: false, log));
            limiter.AddPolicy(Posts, new WritePolicy(Posts, options.Enabled, options.Posts, perAccount: true, log));
            limiter.AddPolicy(Comments, new WritePolicy(Comments, options.Enabled, options.Comments, perAccount: true, log));
        });
        return services;
    }

    /// <summary>
    /// Fixed windows (docs/decisions/0006-write-limits-and-page-policy.md): a limit people can read ("20 an hour"), and a window in which the
    /// operator sees one warning per client.
    /// </summary>
    private sealed class WritePolicy(string name, bool enabled, WindowLimit limit, bool perAccount, RateLimitLog log)
        : IRateLimiterPolicy<string>
    {
        public RateLimitPartition<string> GetPartition(HttpContext http)
        {
            if (!enabled || !HttpMethods.IsPost(http.Request.Method))
            {
                return RateLimitPartition.GetNoLimiter("");
            }

            return RateLimitPartition.GetFixedWindowLimiter(Client.Of(http, perAccount).Key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit.PermitLimit,
                Window = limit.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }

        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => async (context, ct) =>
        {
            var http = context.HttpContext;
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limit.Window;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            log.Rejected(name, Client.Of(http, perAccount), retryAfter, seconds);

            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"Limit of {limit.PermitLimit} {name} per {Describe(limit.Window)} reached: try again in {seconds} s.",
                },
            });
        };

        private static string Describe(TimeSpan window) =>
            window.TotalHours >= 1 && window.TotalHours == Math.Floor(window.TotalHours) ? $"{window.TotalHours:0} h"
            : window.TotalMinutes >= 1 && window.TotalMinutes == Math.Floor(window.TotalMinutes) ? $"{window.TotalMinutes:0} min"
            : $"{window.TotalSeconds:0} s";
    }
}

/// <summary>Who a limit counts: the signed-in account where the policy is per account, otherwise the client address.</summary>
internal readonly record struct Client(long? UserId, string Address)
{
    public string Key => UserId is { } id ? $"user:{id}" : $"address:{Address}";

    public static Client Of(HttpContext http, bool perAccount) =>
        perAccount && http.User.Identity?.IsAuthenticated == true
            ? new Client(http.User.UserId(), "")
            : new Client(null, http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
