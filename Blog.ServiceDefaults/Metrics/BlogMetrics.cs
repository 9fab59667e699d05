using System.Diagnostics.Metrics;

namespace Blog.ServiceDefaults.Metrics;

/// <summary>
/// Blog's metrics (README.md, "Metrics"), defined once with System.Diagnostics.Metrics: OpenTelemetry exports
/// the same instruments to Prometheus (/metrics) and over OTLP to the dashboard.
/// </summary>
public sealed class BlogMetrics : IDisposable
{
    public const string MeterName = "Blog";

    /// <summary>The request-latency buckets of the metrics contract, in seconds.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

    private readonly Meter _meter;

    public BlogMetrics(IMeterFactory meterFactory, TelemetryDrops drops)
    {
        _meter = meterFactory.Create(MeterName);
        Requests = _meter.CreateCounter<long>("http_requests", description: "Total HTTP requests");
        RequestDuration = _meter.CreateHistogram<double>("http_request_duration", unit: "s", description: "HTTP request latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        // Observed, so the series exists at 0 from startup and a dashboard or alert can tell "none" from "unknown".
        _meter.CreateObservableCounter("telemetry.dropped",
            () => new Measurement<long>(drops.LogLines, new KeyValuePair<string, object?>("signal", "logs")),
            description: "Telemetry items Blog's own pipelines dropped under overload instead of slowing requests");
    }

    /// <summary>Exported as <c>http_requests_total{method,endpoint,status_code}</c>.</summary>
    public Counter<long> Requests { get; }

    /// <summary>Exported as <c>http_request_duration_seconds{endpoint}</c>.</summary>
    public Histogram<double> RequestDuration { get; }

    /// <summary>
    /// Exports <paramref name="current"/> as the gauge <c>websocket_active_connections</c>. Only a service that
    /// accepts WebSockets calls this, so the series exists there from startup (at 0) and nowhere else.
    /// Observed rather than counted up and down so the value cannot drift from the real connection count.
    /// </summary>
    public void ObserveWebSocketConnections(Func<int> current) =>
        _meter.CreateObservableUpDownCounter("websocket_active_connections", current, description: "Active WebSocket connections");

    public void Dispose() => _meter.Dispose();
}
