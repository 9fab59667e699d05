using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Blog.ServiceDefaults.Health;

/// <summary>Settings for the dependency health summary, bound from <c>Health</c>.</summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>Each dependency check gives up after this long and reports <c>error: timeout</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A report is reused this long, so a burst of probes costs one round of checks.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the checks also run in the background to refresh <c>health_check_status</c>, so a dependency
    /// outage shows on the dashboard and alerts even when nothing polls /api/health.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PublishPeriod { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The <c>/api/health</c> contract (README.md, "Health"): 200 <c>{"status":"ok","checks":{"database":"ok",...}}</c>, or
/// 503 with <c>"status":"degraded"</c> and the failing check as <c>"error: unreachable"</c> or
/// <c>"error: timeout"</c>. It never returns exception text, host names or connection
/// strings: the exception goes to the log, with the request id.
/// </summary>
public sealed partial class DependencyHealth(
    HealthCheckService checks, IOptions<HealthOptions> options, TimeProvider clock, HealthStatusGauge gauge, ILogger<DependencyHealth> logger)
{
    /// <summary>Checks with this tag appear in the summary under their registration name.</summary>
    public const string Tag = "dependency";

    private readonly SemaphoreSlim _gate = new(1, 1);
    // Checks now failing: an outage logs when it starts and when it ends, not on every probe.
    private readonly ConcurrentDictionary<string, bool> _failing = new(StringComparer.Ordinal);
    private (DateTimeOffset At, HealthSummary Summary)? _cached;

    public async Task<HealthSummary> GetAsync(CancellationToken ct)
    {
        if (Fresh() is { } cached)
        {
            return cached;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (Fresh() is { } fresh)
            {
                return fresh;
            }

            var report = await checks.CheckHealthAsync(r => r.Tags.Contains(Tag), ct);
            gauge.Record(report);
            var results = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, entry) in report.Entries)
            {
                if (entry.Status == HealthStatus.Healthy)
                {
                    results[name] = "ok";
                    if (_failing.TryRemove(name, out _))
                    {
                        CheckRecovered(logger, name);
                    }

                    continue;
                }

                var timedOut = entry.Exception is OperationCanceledException or TimeoutException;
                results[name] = timedOut ? "error: timeout" : "error: unreachable";
                if (_failing.TryAdd(name, true))
                {
                    CheckFailed(logger, entry.Exception, name, timedOut ? "timeout" : "unreachable");
                }
            }

            var summary = new HealthSummary(results.Values.All(v => v == "ok") ? "ok" : "degraded", results);
            _cached = (clock.GetUtcNow(), summary);
            return summary;
        }
        finally
        {
            _gate.Release();
        }
    }

    private HealthSummary? Fresh() =>
        _cached is { } c && clock.GetUtcNow() - c.At < options.Value.CacheDuration ? c.Summary : null;

    [LoggerMessage(EventId = 9100, EventName = "health.check_failed", Level = LogLevel.Warning,
        Message = "Health check {check} failed: {reason}")]
    private static partial void CheckFailed(ILogger logger, Exception? exception, string check, string reason);

    [LoggerMessage(EventId = 9102, EventName = "health.check_recovered", Level = LogLevel.Information,
        Message = "Health check {check} passes again")]
    private static partial void CheckRecovered(ILogger logger, string check);
}

public sealed record HealthSummary(string Status, IReadOnlyDictionary<string, string> Checks);

public static class DependencyHealthExtensions
{
    /// <summary>Registers a dependency check with the configured timeout, shown in /api/health under <paramref name="name"/>.</summary>
    public static IHealthChecksBuilder AddDependencyCheck<T>(this IHealthChecksBuilder builder, string name) where T : class, IHealthCheck
    {
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DependencyHealth>();
        builder.Services.TryAddSingleton<HealthStatusGauge>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHealthCheckPublisher, HealthStatusPublisher>());
        builder.Services.AddOptions<HealthCheckPublisherOptions>().Configure<IOptions<HealthOptions>>((publisher, health) =>
        {
            publisher.Delay = TimeSpan.FromSeconds(1);
            publisher.Period = health.Value.PublishPeriod;
        });
        builder.Services.TryAddTransientCheck<T>();
        builder.Services.AddOptions<HealthCheckServiceOptions>().Configure<IOptions<HealthOptions>>((options, health) =>
            options.Registrations.Add(new HealthCheckRegistration(name, sp => sp.GetRequiredService<T>(), HealthStatus.Unhealthy, [DependencyHealth.Tag], health.Value.CheckTimeout)));
        return builder;
    }

    public static IEndpointConventionBuilder MapDependencyHealth(this IEndpointRouteBuilder app, string pattern = "/api/health") =>
        app.MapGet(pattern, async (DependencyHealth health, HttpContext http, CancellationToken ct) =>
        {
            var summary = await health.GetAsync(ct);
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Json(new { status = summary.Status, checks = summary.Checks },
                statusCode: summary.Status == "ok" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Health");

    private static void TryAddTransientCheck<T>(this IServiceCollection services) where T : class
    {
        if (services.All(d => d.ServiceType != typeof(T)))
        {
            services.AddTransient<T>();
        }
    }
}
