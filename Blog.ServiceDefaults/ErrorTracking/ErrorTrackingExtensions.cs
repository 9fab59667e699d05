using System.Reflection;
using Blog.ServiceDefaults.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sentry;
using Sentry.Extensibility;

namespace Blog.ServiceDefaults.ErrorTracking;

public static class ErrorTrackingExtensions
{
    public const string FaultEndpointKey = "Diagnostics:EnableFaultEndpoint";

    /// <summary>
    /// Sentry for unhandled exceptions and error logs. <c>Sentry:Dsn</c> empty (the default) disables the
    /// SDK and the app runs as usual. No PII: no default PII, no request bodies, no Authorization or
    /// Cookie headers; users are identified by id only; every event carries request_id and route.
    /// </summary>
    public static WebApplicationBuilder AddBlogErrorTracking(this WebApplicationBuilder builder)
    {
        var environment = builder.Environment;
        var configuration = builder.Configuration;
        builder.WebHost.UseSentry(options =>
        {
            if (string.IsNullOrWhiteSpace(options.Dsn))
            {
                options.Dsn = "";
            }

            options.Environment = environment.EnvironmentName.ToLowerInvariant();
            options.Release ??= Release();
            // Every trace while developing, a tenth in production; Sentry:TracesSampleRate overrides either.
            options.TracesSampleRate = configuration.GetValue<double?>("Sentry:TracesSampleRate") ?? (environment.IsProduction() ? 0.1 : 1.0);
            options.SendDefaultPii = false;
            options.MaxRequestBodySize = Sentry.Extensibility.RequestSize.None;
            options.SetBeforeSend(Scrub);
            // Probes and scrapes are never sampled (so no transaction is built for them); the rest fall back
            // to TracesSampleRate.
            options.TracesSampler = context =>
                context.CustomSamplingContext.TryGetValue("__HttpPath", out var path) && path is string p
                    && Extensions.IsProbe(new PathString(p)) ? 0.0 : null;
            options.SetBeforeSendTransaction(transaction =>
            {
                ScrubRequest(transaction.Request);
                return transaction;
            });
        });
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<ISentryEventProcessor, RequestContextEventProcessor>();
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
        ScrubRequest(sentryEvent.Request);
        // Kestrel's connection-based id would be mistaken for our request_id.
        sentryEvent.UnsetTag("RequestId");
        if (sentryEvent.User is { } user)
        {
            sentryEvent.User = new SentryUser { Id = user.Id };
        }

        return sentryEvent;
    }

    private static void ScrubRequest(SentryRequest? request)
    {
        if (request is null)
        {
            return;
        }

        request.Cookies = null;
        request.Data = null;
        foreach (var header in request.Headers.Keys.Where(IsSecretHeader).ToList())
        {
            request.Headers.Remove(header);
        }
    }

    private static bool IsSecretHeader(string name) =>
        name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Cookie", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("api-key", StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds request_id, the route template and the signed-in user's id (never more) to every event.</summary>
    private sealed class RequestContextEventProcessor(IHttpContextAccessor accessor) : ISentryEventProcessor
    {
        public SentryEvent? Process(SentryEvent sentryEvent)
        {
            if (accessor.HttpContext is not { } http)
            {
                return sentryEvent;
            }

            sentryEvent.SetTag(Blog.ServiceDefaults.RequestIds.RequestIdMiddleware.TagName, http.TraceIdentifier);
            sentryEvent.SetTag("route", HttpMetricsMiddleware.EndpointLabel(http));
            if (http.User.FindFirst("sub")?.Value is { } userId)
            {
                sentryEvent.User = new SentryUser { Id = userId };
            }

            return sentryEvent;
        }
    }
}
