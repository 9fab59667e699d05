using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Blog.ServiceDefaults.Timeouts;

/// <summary>Settings for the deadline every request must meet, bound from <c>Requests</c>.</summary>
public sealed class RequestDeadlineOptions
{
    public const string SectionName = "Requests";

    /// <summary>
    /// No request waits longer than this: its cancellation token fires, database and cache calls give up,
    /// and the caller gets 503 with <c>Retry-After</c>. WebSockets and Blazor's circuit connections are exempt.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Requests:Timeout must be between 1 second and 5 minutes.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What <c>Retry-After</c> tells a caller that was refused because a dependency is away.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);
}

public static partial class RequestDeadlineExtensions
{
    /// <summary>
    /// A deadline on every request (<c>Requests:Timeout</c>, 10 s by default), through ASP.NET Core's request
    /// timeouts. Past it the request's token is cancelled and the caller gets a 503 problem with the request id.
    /// </summary>
    public static TBuilder AddRequestDeadline<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<RequestDeadlineOptions>().BindConfiguration(RequestDeadlineOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRequestTimeouts();
        builder.Services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<RequestDeadlineOptions>>((timeouts, deadline) =>
            timeouts.DefaultPolicy = new RequestTimeoutPolicy
            {
                Timeout = deadline.Value.Timeout,
                TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
                WriteTimeoutResponse = WriteTimeoutProblemAsync,
            });
        return builder;
    }

    /// <summary>
    /// Applies the deadline to the endpoints that follow. Call it after the exception handler (so a timeout is
    /// not mistaken for a failure) and after routing (it reads the endpoint to honour <c>DisableRequestTimeout</c>).
    /// </summary>
    public static IApplicationBuilder UseRequestDeadline(this IApplicationBuilder app) => app.UseRequestTimeouts();

    /// <summary>One answer whatever timed out: 503, Retry-After, problem+json with the request id, nothing else.</summary>
    public static async Task WriteTimeoutProblemAsync(HttpContext context)
    {
        var deadline = context.RequestServices.GetRequiredService<IOptions<RequestDeadlineOptions>>().Value;
        DeadlineExceeded(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Blog.Requests"),
            (long)deadline.Timeout.TotalMilliseconds);
        context.Response.Headers.RetryAfter = ((int)RequestDeadlineOptions.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = StatusCodes.Status503ServiceUnavailable,
            Title = "The service did not answer in time",
            Detail = "Please try again in a moment.",
            Extensions = { ["requestId"] = context.TraceIdentifier },
        };
        if (context.RequestServices.GetService<IProblemDetailsService>() is { } problems
            && await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            return;
        }

        await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    [LoggerMessage(EventId = 9200, EventName = "request.deadline_exceeded", Level = LogLevel.Warning,
        Message = "Request gave up after its deadline of {deadline_ms} ms")]
    private static partial void DeadlineExceeded(ILogger logger, long deadline_ms);
}
