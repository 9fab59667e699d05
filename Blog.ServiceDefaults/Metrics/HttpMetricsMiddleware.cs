using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Blog.ServiceDefaults.Metrics;

/// <summary>
/// Records <c>http_requests_total{method,endpoint,status_code}</c> and
/// <c>http_request_duration_seconds{endpoint}</c> (README.md, "Metrics") for every request, probes and scrapes
/// included, labelled by <see cref="EndpointLabel"/>.
/// </summary>
public sealed class HttpMetricsMiddleware(RequestDelegate next, BlogMetrics metrics)
{
    // Status codes are few; caching their strings avoids an allocation per request.
    private static readonly string[] StatusCodes = Enumerable.Range(0, 600).Select(code => code.ToString(CultureInfo.InvariantCulture)).ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = EndpointLabel.For(context);
            metrics.Requests.Add(1,
                new KeyValuePair<string, object?>("method", context.Request.Method),
                new KeyValuePair<string, object?>("endpoint", endpoint),
                new KeyValuePair<string, object?>("status_code", StatusCode(context.Response.StatusCode)));
            metrics.RequestDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("endpoint", endpoint));
        }
    }

    private static string StatusCode(int code) => code is >= 0 and < 600 ? StatusCodes[code] : "other";
}
