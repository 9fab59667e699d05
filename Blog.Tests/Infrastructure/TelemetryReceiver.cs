using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Blog.Tests.Infrastructure;

/// <summary>
/// A local HTTP endpoint that keeps every payload posted to it: the closest real thing to Sentry's
/// hosted service (envelopes at /api/{project}/envelope/, OTLP traces at /api/{project}/integration/otlp/v1/traces)
/// and to an OTLP collector (/v1/logs, /v1/traces, /v1/metrics over http/protobuf) that a test machine can have.
/// </summary>
public sealed class TelemetryReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TelemetryReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedPayload> Payloads { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>A DSN that sends this receiver's Sentry envelopes for project 1.</summary>
    public string SentryDsn => $"http://public@{BaseAddress.Authority}/1";

    public static async Task<TelemetryReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new TelemetryReceiver(app);
        app.MapPost("/{**path}", async (HttpContext http, string path) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            var bytes = body.ToArray();
            if (http.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                await gzip.CopyToAsync(plain);
                bytes = plain.ToArray();
            }

            receiver.Payloads.Enqueue(new ReceivedPayload("/" + path, bytes, http.Request.Headers["x-sentry-auth"].ToString()));
            // The browser SDK posts cross-origin, as it would to Sentry.
            http.Response.Headers.AccessControlAllowOrigin = "*";
            return Results.Ok();
        });
        await app.StartAsync();
        receiver.BaseAddress = new Uri(app.Urls.First());
        return receiver;
    }

    public IEnumerable<ReceivedPayload> SentryEnvelopes => Payloads.Where(p => p.Path.EndsWith("/envelope/", StringComparison.Ordinal));

    public IEnumerable<ReceivedPayload> Otlp => Payloads.Where(p => p.Path.StartsWith("/v1/", StringComparison.Ordinal));

    /// <summary>Traces sent to Sentry's OTLP endpoint (project 1 of <see cref="SentryDsn"/>).</summary>
    public IEnumerable<ReceivedPayload> SentryOtlpTraces => Payloads.Where(p => p.Path == "/api/1/integration/otlp/v1/traces");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <param name="SentryAuth">The <c>x-sentry-auth</c> header, which Sentry's OTLP endpoint requires; empty when absent.</param>
public sealed record ReceivedPayload(string Path, byte[] Body, string SentryAuth = "")
{
    /// <summary>Protobuf and envelopes both carry strings as UTF-8, so a plain search finds any leaked value.</summary>
    public bool Contains(string value) => Encoding.UTF8.GetString(Body).Contains(value, StringComparison.OrdinalIgnoreCase);

    public string Text => Encoding.UTF8.GetString(Body);
}
