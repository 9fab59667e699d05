using System.Globalization;
using Blog.ServiceDefaults.Logging;
using Blog.ServiceDefaults.Timeouts;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Blog.ApiService.Infrastructure;

/// <summary>
/// A request that could not reach PostgreSQL (refused, lost, timed out, or still failing after the bounded
/// retries) is answered 503 problem+json with <c>Retry-After</c> and the request id, never the exception.
/// The outage is logged as one error when it is first seen and then at most once a minute with a count,
/// so a busy service does not write an error, and raise a Sentry event, per refused request.
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(
    IProblemDetailsService problems, DatabaseOutageLog outageLog) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (!IsDatabaseUnavailable(exception))
        {
            return false;
        }

        outageLog.Refused(exception);
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = ((int)RequestDeadlineOptions.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is not answering",
                Detail = "Nothing was changed. Please try again in a moment.",
            },
        });
    }

    /// <summary>Transient database failures, however EF wraps them; constraint violations and bugs stay 500s.</summary>
    public static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is RetryLimitExceededException or NpgsqlException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Logs a database outage as it starts and then once a minute, not once per refused request.</summary>
internal sealed partial class DatabaseOutageLog(TimeProvider clock, ILogger<DatabaseOutageLog> logger)
{
    private readonly FailureReportThrottle _throttle = new(clock, TimeSpan.FromMinutes(1));

    public void Refused(Exception exception)
    {
        if (_throttle.ShouldReport(out var refused))
        {
            Unavailable(logger, exception, refused);
        }
    }

    [LoggerMessage(EventId = 1100, EventName = "database.unavailable", Level = LogLevel.Error,
        Message = "PostgreSQL is not answering: {refused_requests} requests answered 503 since the last report")]
    private static partial void Unavailable(ILogger logger, Exception exception, int refused_requests);
}
