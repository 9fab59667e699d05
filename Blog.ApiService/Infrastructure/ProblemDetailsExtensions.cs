using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Blog.ApiService.Infrastructure;

public static class ProblemDetailsExtensions
{
    /// <summary>Bodies above this are refused with 413 before the endpoint runs.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>
    /// Every error is RFC 7807 problem+json carrying the request id: explicit problems, empty error
    /// responses (404, 401 from the bearer handler, 405) and exceptions alike. Clients never see
    /// exception text or stack traces, in any environment.
    /// </summary>
    public static IServiceCollection AddBlogProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions["requestId"] = context.HttpContext.TraceIdentifier);
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Malformed JSON and oversized bodies reach BadRequestExceptionHandler the same way in every environment.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    public static WebApplication UseBlogProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }


    public static bool IsUniqueViolation(this DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    private sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            if (exception is not BadHttpRequestException bad)
            {
                return false;
            }

            var (title, detail) = bad.StatusCode switch
            {
                StatusCodes.Status413PayloadTooLarge => ("Request body too large", $"Request bodies are limited to {MaxRequestBodyBytes / 1024 / 1024} MB."),
                StatusCodes.Status415UnsupportedMediaType => ("Unsupported media type", "Send the request body as application/json."),
                _ => ("Malformed request", "The request could not be read: check that the body is valid JSON and the parameters have the right types."),
            };
            http.Response.StatusCode = bad.StatusCode;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                Exception = exception,
                ProblemDetails = { Status = bad.StatusCode, Title = title, Detail = detail },
            });
        }
    }
}
