using OpenTelemetry.Metrics;

namespace Blog.ServiceDefaults.Metrics;

/// <summary>
/// Renames the few semantic-convention instruments whose Prometheus names break the exposition lint.
/// A gauge named <c>*_count</c> reads to Prometheus (and to <c>promtool check metrics</c>) as half of a
/// histogram or summary, so queries and recording rules can mistake it. The new names keep the meaning.
/// Views apply to every exporter, so the dashboard sees the same names as /metrics: one name per number.
/// </summary>
public static class PrometheusNaming
{
    private static readonly (string Instrument, string Name)[] Renames =
    [
        ("dotnet.assembly.count", "dotnet.assemblies.loaded"),
        ("dotnet.process.cpu.count", "dotnet.process.cpus"),
        ("dotnet.timer.count", "dotnet.timers.active"),
        ("db.client.connection.count", "db.client.connections"),
    ];

    public static MeterProviderBuilder AddPrometheusSafeNames(this MeterProviderBuilder metrics)
    {
        foreach (var (instrument, name) in Renames)
        {
            metrics.AddView(instrument, name);
        }

        return metrics;
    }
}
