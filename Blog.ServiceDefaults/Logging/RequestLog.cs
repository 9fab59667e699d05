using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// One access-log line per request, written when the response is done: the line to search for when a
/// user quotes a request id. Method, path and request id come from the request's log scope.
/// </summary>
internal static partial class RequestLog
{
    public const string Category = "Blog.Requests";

    [LoggerMessage(EventId = 9100, EventName = "http.request",
        Message = "Request to {endpoint} finished with {status_code} in {duration_ms} ms")]
    public static partial void Finished(ILogger logger, LogLevel level, string endpoint, int status_code, double duration_ms, string? user_id);
}
