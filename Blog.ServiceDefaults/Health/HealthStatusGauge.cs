using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Blog.ServiceDefaults.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Blog.ServiceDefaults.Health;

/// <summary>
/// Exports the gauge <c>health_check_status{check}</c> on the Blog meter: 1 when the latest report found the
/// dependency healthy, 0 when not. The dashboard's health panel and the BlogDependencyUnhealthy alert read this
/// one series, so they cannot disagree. A check appears once it has been run for the first time.
/// </summary>
public sealed class HealthStatusGauge
{
    private readonly ConcurrentDictionary<string, int> _states = new(StringComparer.Ordinal);

    public HealthStatusGauge(IMeterFactory meterFactory)
    {
        // The factory hands back the same Meter as BlogMetrics, which the OpenTelemetry setup exports.
        var meter = meterFactory.Create(BlogMetrics.MeterName);
        meter.CreateObservableGauge("health_check_status", Observe,
            description: "Latest result of each dependency health check: 1 healthy, 0 unhealthy");
    }

    /// <summary>Takes the dependency checks' results from <paramref name="report"/>; other checks are not dependencies.</summary>
    public void Record(HealthReport report)
    {
        foreach (var (name, entry) in report.Entries)
        {
            if (entry.Tags.Contains(DependencyHealth.Tag))
            {
                _states[name] = entry.Status == HealthStatus.Healthy ? 1 : 0;
            }
        }
    }

    private IEnumerable<Measurement<int>> Observe() =>
        _states.Select(state => new Measurement<int>(state.Value, new KeyValuePair<string, object?>("check", state.Key)));
}

/// <summary>
/// Runs the checks on the health-check publisher's schedule, so the gauge stays current even when nobody asks
/// /api/health (which records its own, fresher reports too).
/// </summary>
internal sealed class HealthStatusPublisher(HealthStatusGauge gauge) : IHealthCheckPublisher
{
    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        gauge.Record(report);
        return Task.CompletedTask;
    }
}
