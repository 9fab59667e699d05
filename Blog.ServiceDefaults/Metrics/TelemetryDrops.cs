namespace Blog.ServiceDefaults.Metrics;

/// <summary>Counts what Blog's own telemetry pipelines drop under overload; exported as <c>telemetry_dropped_total{signal}</c>.</summary>
public sealed class TelemetryDrops
{
    private long _logLines;

    public long LogLines => Interlocked.Read(ref _logLines);

    public void LogLineDropped() => Interlocked.Increment(ref _logLines);
}
