using System.Diagnostics;
using Blog.ServiceDefaults.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// One access-log line per request, written when the response is done: the line to search for when a
/// user quotes a request id. Method, path and request id come from the request's log scope
/// (<see cref="RequestIds.RequestIdMiddleware"/>); probes and scrapes are logged at Debug, out of the default output.
/// </summary>
public sealed partial class RequestLogMiddleware(RequestDelegate next, ILoggerFactory loggers)
{
    public const string Category = "Blog.Requests";

    private readonly ILogger _logger = loggers.CreateLogger(Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var level = Microsoft.Extensions.Hosting.Extensions.IsProbe(context.Request.Path) ? LogLevel.Debug : LogLevel.Information;
            if (_logger.IsEnabled(level))
            {
                Finished(_logger, level, EndpointLabel.For(context), context.Response.StatusCode,
                    Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 2), context.User.FindFirst("sub")?.Value);
            }
        }
    }

    [LoggerMessage(EventId = 9101, EventName = "http.request",
        Message = "Request to {endpoint} finished with {status_code} in {duration_ms} ms")]
    private static partial void Finished(ILogger logger, LogLevel level, string endpoint, int status_code, double duration_ms, string? user_id);
}
