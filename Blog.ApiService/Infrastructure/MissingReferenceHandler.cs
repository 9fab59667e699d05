using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Blog.ApiService.Infrastructure;

/// <summary>
/// A write that refers to a row gone in the meantime (the post deleted while a comment was on its way, the
/// account of a still-valid token deleted) breaks a foreign key: that is the caller's stale view, a 409
/// problem, not a server fault.
/// </summary>
internal sealed class MissingReferenceHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } })
        {
            return false;
        }

        http.Response.StatusCode = StatusCodes.Status409Conflict;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Something this request refers to no longer exists",
                Detail = "The post or account it names was deleted. Reload and try again.",
            },
        });
    }
}
