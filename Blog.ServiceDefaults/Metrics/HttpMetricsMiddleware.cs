using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Blog.ServiceDefaults.Logging;

namespace Blog.ServiceDefaults.Metrics;

/// <summary>
/// Records the seed's request counter and latency histogram labelled by the matched route template
/// (<c>/api/posts/{id}</c>), never the raw path: the number of series stays bounded whatever URLs
/// clients invent.
/// </summary>
public sealed partial class HttpMetricsMiddleware(RequestDelegate next, BlogMetrics metrics, ILoggerFactory loggers)
{
    private readonly ILogger _requestLog = loggers.CreateLogger(RequestLog.Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = EndpointLabel(context);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            metrics.Requests.Add(1,
                new KeyValuePair<string, object?>("method", context.Request.Method),
                new KeyValuePair<string, object?>("endpoint", endpoint),
                new KeyValuePair<string, object?>("status_code", StatusCode(context.Response.StatusCode)));
            metrics.RequestDuration.Record(elapsed, new KeyValuePair<string, object?>("endpoint", endpoint));

            // Probes and scrapes stay out of the default output, at Debug.
            var level = Microsoft.Extensions.Hosting.Extensions.IsProbe(context.Request.Path) ? LogLevel.Debug : LogLevel.Information;
            RequestLog.Finished(_requestLog, level, endpoint, context.Response.StatusCode,
                Math.Round(elapsed * 1000, 2), context.User.FindFirst("sub")?.Value);
        }
    }

    public static string EndpointLabel(HttpContext context)
    {
        // After an unhandled exception the error handler clears the endpoint; it keeps the original one.
        var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        if (endpoint is not RouteEndpoint { RoutePattern.RawText: { } template })
        {
            return BlogMetrics.UnmatchedEndpoint;
        }

        // Templates are few (one per route), so each is normalised once rather than on every request.
        return Labels.GetOrAdd(template, static raw =>
        {
            var label = ConstraintOrDefault().Replace(raw, "{$1}");
            if (!label.StartsWith('/'))
            {
                label = "/" + label;
            }

            return label.Length > 1 ? label.TrimEnd('/') : label;
        });
    }

    private static readonly ConcurrentDictionary<string, string> Labels = new(StringComparer.Ordinal);

    // Status codes are few; caching their strings avoids an allocation per request.
    private static readonly string[] StatusCodes = Enumerable.Range(0, 600).Select(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string StatusCode(int code) => code is >= 0 and < 600 ? StatusCodes[code] : "other";

    /// <summary><c>{id:long}</c>, <c>{page=1}</c> and <c>{slug?}</c> all become <c>{id}</c>, <c>{page}</c>, <c>{slug}</c>.</summary>
    [GeneratedRegex(@"\{\*{0,2}([^}:=?]+)[^}]*\}")]
    private static partial Regex ConstraintOrDefault();
}
