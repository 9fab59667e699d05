using System.Diagnostics;
using System.Reflection;
using Blog.ServiceDefaults.Metrics;
using Blog.ServiceDefaults.RequestIds;
using Blog.ServiceDefaults.Tracing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sentry;
using Sentry.Extensibility;

namespace Blog.ServiceDefaults.ErrorTracking;

public static class ErrorTrackingExtensions
{
    public const string FaultEndpointKey = "Diagnostics:EnableFaultEndpoint";

    /// <summary>
    /// Sentry for unhandled exceptions, error logs and sampled transactions. <c>Sentry:Dsn</c> empty (the default)
    /// disables the SDK and the app runs as usual. No PII: no default PII, no request bodies, headers or cookies;
    /// users are identified by id only; every event carries request_id, route and trace_id.
    /// </summary>
    /// <remarks>
    /// Wired through Sentry's logging integration rather than Sentry.AspNetCore's middleware, which clones Sentry's
    /// scope and builds a transaction for every request whether it is sampled or not: that cost two thirds of the
    /// API's throughput (docs/decisions/0007-observability-cost.md). Unhandled exceptions reach Sentry as the error
    /// the framework's exception handler logs. Transactions are the sampled OpenTelemetry traces, exported to
    /// Sentry's OTLP endpoint outside Development, or <see cref="SentryTransactionMiddleware"/>'s
    /// (<c>Sentry:Transactions</c>, docs/decisions/0009-sentry-transactions-over-otlp.md).
    /// </remarks>
    public static WebApplicationBuilder AddBlogErrorTracking(this WebApplicationBuilder builder)
    {
        var environment = builder.Environment;
        var configuration = builder.Configuration;
        var signals = TelemetrySignals.From(configuration, environment);
        builder.Logging.AddSentry(options =>
        {
            // Blog's Sentry settings live under "Sentry" (README.md, "Configuration"); the logging integration
            // would otherwise read "Logging:Sentry".
            configuration.GetSection("Sentry").Bind(options);
            if (string.IsNullOrWhiteSpace(options.Dsn))
            {
                options.Dsn = "";
            }

            options.Environment = environment.EnvironmentName.ToLowerInvariant();
            options.Release ??= Release();
            // Every trace while developing, a tenth in production; Sentry:TracesSampleRate overrides either. The SDK
            // makes transactions only in Sentry:Transactions=sdk, where SentryTransactionMiddleware decides which.
            options.TracesSampleRate = signals.SampleRatio;
            // Sentry's logger sees every log line whatever the configured levels, and makes breadcrumbs of those at or
            // above this level. Without a scope per request they would mix requests; the request's own log lines are
            // found by its request_id tag instead.
            options.MinimumBreadcrumbLevel = LogLevel.None;
            options.MinimumEventLevel = LogLevel.Error;
            options.SendDefaultPii = false;
            // Compressing an envelope costs more than sending it to a receiver on this machine (Spotlight, a test
            // receiver); over a real network to Sentry the smaller body is worth it.
            if (Uri.TryCreate(options.Dsn, UriKind.Absolute, out var dsn) && dsn.IsLoopback)
            {
                options.RequestBodyCompressionLevel = System.IO.Compression.CompressionLevel.NoCompression;
            }

            options.SetBeforeSend(Scrub);
            options.SetBeforeSendTransaction(transaction =>
            {
                transaction.Request.Cookies = null;
                transaction.Request.Headers.Clear();
                return transaction;
            });
            var requestContext = new RequestContextProcessor(new HttpContextAccessor());
            options.AddEventProcessor(requestContext);
            options.AddTransactionProcessor(requestContext);
        });
        // Sentry's logger pushes a Sentry scope for every log scope it is shown; the request scope would cost a
        // scope copy per request and tell Sentry nothing the request context processor does not.
        builder.Services.Configure<LoggerFilterOptions>(filters =>
        {
            foreach (var category in new[] { "Blog.ServiceDefaults.RequestIds", "Microsoft.AspNetCore.Hosting.Diagnostics" })
            {
                filters.Rules.Add(new LoggerFilterRule("Sentry.Extensions.Logging.SentryLoggerProvider", category, LogLevel.None, null));
            }
        });
        builder.Services.TryAddSingleton(signals);
        builder.Services.AddSingleton<TraceSampling>();
        return builder;
    }

    /// <summary>An endpoint that throws, for checking error tracking end to end; off unless configured.</summary>
    public static void MapFaultEndpoint(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool>(FaultEndpointKey))
        {
            app.MapGet("/api/diagnostics/fault", () =>
            {
                throw new InvalidOperationException("Deliberate fault from /api/diagnostics/fault");
            }).ExcludeFromDescription();
        }
    }

    private static string Release()
    {
        var assembly = Assembly.GetEntryAssembly();
        var version = assembly?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        return $"{assembly?.GetName().Name}@{version}";
    }

    private static SentryEvent? Scrub(SentryEvent sentryEvent, SentryHint hint)
    {
        sentryEvent.Request.Cookies = null;
        sentryEvent.Request.Data = null;
        sentryEvent.Request.Headers.Clear();
        if (sentryEvent.User is { } user)
        {
            sentryEvent.User = new SentryUser { Id = user.Id };
        }

        return sentryEvent;
    }

    /// <summary>
    /// Adds the request (method and URL, never the query string or headers), request_id, the route template, the trace id
    /// (to open the same request's trace on the dashboard) and the signed-in user's id (never more) to every
    /// event and transaction, read from the request when one is captured rather than copied into Sentry's scope
    /// on every request.
    /// </summary>
    private sealed class RequestContextProcessor(IHttpContextAccessor accessor) : ISentryEventProcessor, ISentryTransactionProcessor
    {
        public SentryEvent? Process(SentryEvent sentryEvent)
        {
            if (accessor.HttpContext is { } http)
            {
                var route = Describe(sentryEvent, http);
                if (http.User.FindFirst("sub")?.Value is { } userId)
                {
                    sentryEvent.User = new SentryUser { Id = userId };
                }

                // Every error names its request's route as its transaction, sampled or not, and joins the request's
                // trace: the sampled transaction's when there is one, else the trace OpenTelemetry gave the request.
                sentryEvent.TransactionName = $"{http.Request.Method} {route}";
                var trace = sentryEvent.Contexts.Trace;
                if (SentryTransactionMiddleware.For(http) is { } transaction)
                {
                    trace.TraceId = transaction.TraceId;
                    trace.SpanId = transaction.SpanId;
                }
                else if (Activity.Current is { } activity)
                {
                    trace.TraceId = SentryId.Parse(activity.TraceId.ToHexString());
                    trace.SpanId = SpanId.Parse(activity.SpanId.ToHexString());
                }
            }

            return sentryEvent;
        }

        public SentryTransaction? Process(SentryTransaction transaction)
        {
            if (accessor.HttpContext is { } http)
            {
                Describe(transaction, http);
            }

            return transaction;
        }

        /// <returns>The request's route label, which it tags.</returns>
        private static string Describe(IEventLike target, HttpContext http)
        {
            var route = EndpointLabel.For(http);
            target.Request.Method = http.Request.Method;
            // The path names the resource (ids, never personal data); the query string could carry anything.
            target.Request.Url = string.Concat(http.Request.Scheme, "://", http.Request.Host.Value, http.Request.PathBase.Value, http.Request.Path.Value);
            target.SetTag(RequestIdMiddleware.TagName, http.TraceIdentifier);
            target.SetTag("route", route);
            if (Activity.Current is { } activity)
            {
                target.SetTag("trace_id", activity.TraceId.ToHexString());
            }

            return route;
        }
    }
}
