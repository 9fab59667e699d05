using System.Diagnostics;
using Blog.ServiceDefaults.Metrics;
using Blog.ServiceDefaults.Tracing;
using Microsoft.AspNetCore.Http;
using Sentry;

namespace Blog.ServiceDefaults.ErrorTracking;

/// <summary>
/// Makes a Sentry transaction of each sampled request, and does nothing else: an unsampled request costs one
/// sampling check (<see cref="TraceSampling"/>). When OpenTelemetry exports traces the transaction carries the
/// request's trace and span ids, so a Sentry transaction and the dashboard's trace are one request under one id.
/// </summary>
public sealed class SentryTransactionMiddleware(RequestDelegate next, IHub hub, TraceSampling sampling)
{
    private const string Operation = "http.server";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!hub.IsEnabled || !sampling.ShouldSample(context))
        {
            await next(context);
            return;
        }

        var activity = Activity.Current;
        var name = $"{context.Request.Method} {context.Request.Path}";
        var transaction = hub.StartTransaction(activity is null
            ? new TransactionContext(name, Operation, isSampled: true)
            : new TransactionContext(name, Operation,
                spanId: SpanId.Parse(activity.SpanId.ToHexString()),
                traceId: SentryId.Parse(activity.TraceId.ToHexString()),
                isSampled: true));

        using (hub.PushScope())
        {
            hub.ConfigureScope(static (scope, t) => scope.Transaction = t, transaction);
            try
            {
                await next(context);
            }
            finally
            {
                transaction.Name = $"{context.Request.Method} {EndpointLabel.For(context)}";
                transaction.Finish(Status(context.Response.StatusCode));
            }
        }
    }

    /// <summary>The span status Sentry's own middleware gives a response, for the statuses an API answers.</summary>
    private static SpanStatus Status(int code) => code switch
    {
        < 400 => SpanStatus.Ok,
        401 => SpanStatus.Unauthenticated,
        403 => SpanStatus.PermissionDenied,
        404 => SpanStatus.NotFound,
        409 => SpanStatus.AlreadyExists,
        429 => SpanStatus.ResourceExhausted,
        499 => SpanStatus.Cancelled,
        < 500 => SpanStatus.InvalidArgument,
        501 => SpanStatus.Unimplemented,
        503 => SpanStatus.Unavailable,
        504 => SpanStatus.DeadlineExceeded,
        _ => SpanStatus.InternalError,
    };
}
