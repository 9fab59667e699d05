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
/// Only with <c>Sentry:Transactions=sdk</c> (the default in Development, for Spotlight): otherwise Sentry gets the
/// traces themselves over OTLP (docs/decisions/0009-sentry-transactions-over-otlp.md).
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

        // Not put on a Sentry scope: pushing and configuring one copies the whole scope per sampled request. An error
        // captured during the request finds its transaction here instead (ErrorTrackingExtensions' request context).
        context.Items[ItemKey] = transaction;
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

    /// <summary>The request's transaction, while there is one.</summary>
    public static ITransactionTracer? For(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var item) ? item as ITransactionTracer : null;

    private static readonly object ItemKey = new();

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
