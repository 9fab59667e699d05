namespace Blog.Bench.Receiver.Otlp;

/// <summary>
/// OTLP/HTTP with protobuf bodies (the exporters' <c>http/protobuf</c> protocol). An empty 200 body is
/// a valid, empty Export*ServiceResponse: everything accepted, nothing rejected.
/// </summary>
public static class OtlpEndpoints
{
    // ExportTraceServiceRequest.resource_spans(1) -> ResourceSpans.scope_spans(2) -> ScopeSpans.spans(2);
    // logs (resource_logs, scope_logs, log_records) and metrics (resource_metrics, scope_metrics,
    // metrics) nest with the same field numbers.
    private static readonly int[] ItemPath = [1, 2, 2];

    public static IEndpointRouteBuilder MapOtlp(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/traces", (HttpContext context, ReceiverCounts counts) => ReceiveAsync(context, counts, OtlpSignal.Traces));
        app.MapPost("/v1/logs", (HttpContext context, ReceiverCounts counts) => ReceiveAsync(context, counts, OtlpSignal.Logs));
        app.MapPost("/v1/metrics", (HttpContext context, ReceiverCounts counts) => ReceiveAsync(context, counts, OtlpSignal.Metrics));
        // Sentry's own OTLP traces endpoint (the path its DSN settings give), which turns the spans into its transactions.
        app.MapPost("/api/{project}/integration/otlp/v1/traces", (HttpContext context, ReceiverCounts counts) =>
        {
            // As Sentry does: no public key, no ingestion.
            if (!context.Request.Headers["x-sentry-auth"].ToString().StartsWith("sentry sentry_key=", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            }

            return ReceiveAsync(context, counts, OtlpSignal.SentryTraces);
        });
        return app;
    }

    private static async Task ReceiveAsync(HttpContext context, ReceiverCounts counts, OtlpSignal signal)
    {
        var (wireBytes, content) = await RequestBodies.ReadAsync(context.Request, context.RequestAborted);
        long items;
        try
        {
            items = ProtobufWalker.CountAt(content, ItemPath);
        }
        catch (InvalidDataException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        counts.AddOtlp(signal, wireBytes, items);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
    }
}
