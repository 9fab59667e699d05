using System.Net;
using Microsoft.Extensions.Hosting;
using Blog.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Tests.Observability;

/// <summary>
/// Outside Development Sentry's transactions are the sampled OpenTelemetry traces, posted in batches to Sentry's
/// OTLP endpoint (docs/decisions/0009-sentry-transactions-over-otlp.md); errors still go through the SDK and join
/// their request's trace. The suite's AppHost runs in Development (SDK transactions, for Spotlight), so this runs
/// a host with the real service defaults in Production, against the local receiver standing in for Sentry.
/// </summary>
public sealed class SentryOtlpTransactionTests
{
    [Fact]
    public async Task In_production_sentry_gets_the_sampled_traces_over_otlp_and_errors_join_them()
    {
        await using var receiver = await TelemetryReceiver.StartAsync();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            ApplicationName = "Blog.Tests.SentryOtlpHost",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sentry:Dsn"] = receiver.SentryDsn,
            // Every request sampled, so each one below must reach Sentry.
            ["Sentry:TracesSampleRate"] = "1.0",
            ["Diagnostics:EnableFaultEndpoint"] = "true",
            ["Metrics:ScrapeToken"] = "test-scrape-token",
            // No OTLP collector: Sentry alone must still get the traces.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
        });
        builder.AddServiceDefaults();
        // As the API and the web frontend do: an unhandled exception becomes a problem response and an error log.
        builder.Services.AddProblemDetails();
        var app = builder.Build();
        app.UseExceptionHandler();
        app.MapDefaultEndpoints();
        app.MapGet("/api/things/{id:int}", (int id) => TypedResults.Ok(new { id }));
        await app.StartAsync();

        string faultRequestId;
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/things/7")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
            using var fault = await client.GetAsync("/api/diagnostics/fault");
            Assert.Equal(HttpStatusCode.InternalServerError, fault.StatusCode);
            faultRequestId = Assert.Single(fault.Headers.GetValues("X-Request-Id"));
        }
        finally
        {
            // Stopping flushes both: the batch of spans and the SDK's queue of events.
            await app.StopAsync();
            await app.DisposeAsync();
        }

        var traces = receiver.SentryOtlpTraces.ToList();
        Assert.NotEmpty(traces);
        Assert.All(traces, payload => Assert.Equal("sentry sentry_key=public", payload.SentryAuth));
        Assert.Contains(traces, payload => payload.Contains("GET /api/things/{id:int}"));
        Assert.Contains(traces, payload => payload.Contains("GET /api/diagnostics/fault"));
        // Probes are never traced, so Sentry never sees them either. (A server span is named by its route; the test's
        // own client calls are traced too, in this process, as spans named "GET".)
        Assert.DoesNotContain(traces, payload => payload.Contains("GET /alive"));
        Assert.Empty(receiver.Otlp);

        // No transaction from the SDK: one per request is what this replaces.
        Assert.Empty(receiver.SentryEnvelopes.SelectMany(ErrorTrackingTests.Transactions));

        // The error is an SDK event, named by its route, in the trace Sentry received over OTLP.
        var error = Assert.Single(receiver.SentryEnvelopes.SelectMany(ErrorTrackingTests.ErrorEvents),
            item => ErrorTrackingTests.Tag(item, "request_id") == faultRequestId);
        Assert.Equal("GET /api/diagnostics/fault", error.GetProperty("transaction").GetString());
        var traceId = error.GetProperty("contexts").GetProperty("trace").GetProperty("trace_id").GetString()!;
        Assert.Equal(traceId, ErrorTrackingTests.Tag(error, "trace_id"));
        var traceIdBytes = Convert.FromHexString(traceId);
        Assert.Contains(traces, payload => payload.Body.AsSpan().IndexOf(traceIdBytes) >= 0);
    }
}
