using Blog.ServiceDefaults.DependencyInjection;
using Blog.ServiceDefaults.ErrorTracking;
using Blog.ServiceDefaults.Logging;
using Blog.ServiceDefaults.Metrics;
using Blog.ServiceDefaults.Redaction;
using Blog.ServiceDefaults.RequestIds;
using Blog.ServiceDefaults.Timeouts;
using Blog.ServiceDefaults.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The one place every Blog service gets its observability (JSON logs with request ids, OpenTelemetry,
/// Prometheus metrics, Sentry), health endpoints, service discovery and resilience.
/// </summary>
public static partial class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";
    private const string SentryOtlpExporterName = "sentry";

    /// <summary>
    /// Health probes and metric scrapes: they arrive every few seconds and would drown real requests in
    /// traces, Sentry and the request log, so each of those leaves them out (the metrics still count them).
    /// </summary>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath) || path.StartsWithSegments(AlivenessEndpointPath)
        || path.StartsWithSegments(MetricsOptions.DefaultPath);

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        builder.AddBlogLogging();
        builder.AddBlogRedaction();
        // After redaction, which replaces the logger factory: the cache wraps whichever factory is final.
        builder.Services.Decorate<ILoggerFactory>((factory, _) => new CachingLoggerFactory(factory));
        builder.AddBlogErrorTracking();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddRequestDeadline();

        builder.Services.AddSingleton<BlogMetrics>();
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName);
        builder.Services.AddTransient<IStartupFilter, RequestObservabilityStartupFilter>();

        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<RequestIdForwardingHandler>();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddHttpMessageHandler<RequestIdForwardingHandler>();
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var signals = TelemetrySignals.From(builder.Configuration, builder.Environment);
        builder.Services.TryAddSingleton(signals);

        var openTelemetry = builder.Services.AddOpenTelemetry();
        if (signals.OtlpLogs)
        {
            openTelemetry.WithLogging(
                logging => logging.AddProcessor(new RedactedValueSnapshotProcessor()).AddOtlpExporter(),
                options =>
                {
                    options.IncludeFormattedMessage = true;
                    options.IncludeScopes = true;
                });

            // Outside Development the access log (a line per request) stays on stdout, which the platform collects,
            // and is not exported over OTLP too: there a request is its span (sampled) and its metrics (every
            // request), and exporting a record per request was the largest single cost of OTLP logs
            // (docs/decisions/0007-observability-cost.md). Setting Logging:OpenTelemetry:LogLevel:Blog.Requests exports it again.
            if (!builder.Environment.IsDevelopment()
                && builder.Configuration[$"Logging:OpenTelemetry:LogLevel:{RequestLogMiddleware.Category}"] is null)
            {
                builder.Logging.AddFilter<OpenTelemetryLoggerProvider>(RequestLogMiddleware.Category, LogLevel.Warning);
            }
        }

        openTelemetry.WithMetrics(metrics =>
        {
            // One HTTP request meter is the contract (BlogMetrics: http_requests_total, http_request_duration_seconds);
            // ASP.NET Core's hosting and routing meters would count the same requests again, differently
            // (docs/decisions/0007-observability-cost.md). Its per-connection, exception and rate-limiting meters stay.
            metrics
                .AddMeter(BlogMetrics.MeterName)
                .AddMeter("Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics", "Microsoft.AspNetCore.RateLimiting")
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusSafeNames()
                .AddPrometheusExporter(options =>
                {
                    // Series carry exactly the labels their instruments record (no otel_scope_* labels).
                    options.ScopeInfoEnabled = false;
                    // Every scrape reads current values; a collection costs little next to a 15 s interval.
                    options.ScrapeResponseCacheDurationMilliseconds = 0;
                });
            if (signals.OtlpMetrics)
            {
                metrics.AddOtlpExporter();
            }
        });

        if (signals.Traces)
        {
            openTelemetry.WithTracing(tracing =>
            {
                tracing
                    .AddSource(builder.Environment.ApplicationName)
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path))
                    .AddHttpClientInstrumentation(options => options.FilterHttpRequestMessage = request => !signals.IsErrorTrackingCall(request));
                if (signals.OtlpTraces)
                {
                    tracing.AddOtlpExporter();
                }

                if (signals.SentryTraces is { } sentry)
                {
                    // Sentry's transactions are these traces: the same sampled requests, with their database and cache
                    // spans, sent in batches. The SDK would post one envelope per transaction from the request path,
                    // which cost more than the rest of the observability together (docs/decisions/0009-sentry-transactions-over-otlp.md).
                    tracing.AddOtlpExporter(SentryOtlpExporterName, options =>
                    {
                        options.Endpoint = sentry.Endpoint;
                        options.Protocol = OtlpExportProtocol.HttpProtobuf;
                        options.Headers = sentry.Headers;
                    });
                }

                if (!signals.SamplerConfigured)
                {
                    // Follow the caller's decision, else keep this share of new traces; OTEL_TRACES_SAMPLER overrides.
                    tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(signals.SampleRatio)));
                }
            });
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            // Liveness must never depend on Postgres or Redis: a database outage is not a reason to restart the process.
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

        return builder;
    }

    /// <summary>
    /// Maps /health (readiness: every check) and /alive (liveness: only checks tagged "live") in every
    /// environment, since orchestrators probe production too, and /metrics behind its scrape token.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath).DisableHttpMetrics();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
        }).DisableHttpMetrics();

        app.MapMetricsEndpoint();
        app.MapFaultEndpoint();
        return app;
    }

    private static void MapMetricsEndpoint(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Blog.ServiceDefaults.Metrics");
        var hasToken = !string.IsNullOrEmpty(options.ScrapeToken);
        if (!hasToken && !app.Environment.IsDevelopment())
        {
            MetricsNotServed(logger, options.Path);
            return;
        }

        // A routed endpoint rather than a middleware branch, so scrapes are labelled "/metrics" in
        // http_requests_total instead of joining the "unmatched" series.
        app.MapPrometheusScrapingEndpoint(
            path: options.Path,
            meterProvider: null,
            configureBranchedPipeline: branch =>
            {
                if (hasToken)
                {
                    branch.UseMiddleware<MetricsScrapeAuth>();
                }
            },
            optionsName: null);
    }

    [LoggerMessage(EventId = 9000, EventName = "metrics.not_served", Level = LogLevel.Warning,
        Message = "Metrics:ScrapeToken is not set, so {path} is not served outside Development")]
    private static partial void MetricsNotServed(ILogger logger, string path);

    /// <summary>
    /// Request ids, the access log and the request metrics wrap every request, before the app's own middleware,
    /// so errors and rejections the app's middleware answers are logged and counted too.
    /// </summary>
    private sealed class RequestObservabilityStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<RequestIdMiddleware>();
            if (app.ApplicationServices.GetRequiredService<TelemetrySignals>().SentryTraces is null)
            {
                // Sentry's transactions come from its SDK only when they do not come from the traces.
                app.UseMiddleware<SentryTransactionMiddleware>();
            }

            app.UseMiddleware<RequestLogMiddleware>();
            app.UseMiddleware<HttpMetricsMiddleware>();
            next(app);
        };
    }
}
