using System.Diagnostics.Metrics;

namespace Blog.ServiceDefaults.Metrics;

/// <summary>
/// The seed's metrics, defined once with System.Diagnostics.Metrics: OpenTelemetry exports the same
/// instruments to Prometheus (/metrics) and over OTLP to the dashboard.
/// </summary>
public sealed class BlogMetrics : IDisposable
{
    public const string MeterName = "Blog";

    /// <summary>The seed's buckets, in seconds.</summary>
    public static readonly IReadOnlyList<double> DurationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

    /// <summary>The one <c>endpoint</c> value for requests that match no route, so URLs cannot multiply series.</summary>
    public const string UnmatchedEndpoint = "unmatched";

    private readonly Meter _meter;

    public BlogMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        Requests = _meter.CreateCounter<long>("http_requests", description: "Total HTTP requests");
        RequestDuration = _meter.CreateHistogram<double>("http_request_duration", unit: "s", description: "HTTP request latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        WebSocketConnections = _meter.CreateUpDownCounter<long>("websocket_active_connections", description: "Active WebSocket connections");
    }

    /// <summary>Exported as <c>http_requests_total{method,endpoint,status_code}</c>.</summary>
    public Counter<long> Requests { get; }

    /// <summary>Exported as <c>http_request_duration_seconds{endpoint}</c>.</summary>
    public Histogram<double> RequestDuration { get; }

    /// <summary>Exported as the gauge <c>websocket_active_connections</c>; call <see cref="WebSocketOpened"/> and dispose its result.</summary>
    public UpDownCounter<long> WebSocketConnections { get; }

    public IDisposable WebSocketOpened()
    {
        WebSocketConnections.Add(1);
        return new Closer(this);
    }

    public void Dispose() => _meter.Dispose();

    private sealed class Closer(BlogMetrics metrics) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                metrics.WebSocketConnections.Add(-1);
            }
        }
    }
}
