using Blog.ServiceDefaults.Logging;

namespace Blog.ApiService.Live;

public sealed partial class LiveLog(ILogger<LiveLog> logger, TimeProvider clock)
{
    // A Redis outage fails every write's fan-out: one warning a minute stands for them, with their count.
    private readonly FailureReportThrottle _fanOutFailures = new(clock, TimeSpan.FromMinutes(1));
    private volatile bool _fanOutFailing;

    [LoggerMessage(EventId = 5000, EventName = "live.connected", Level = LogLevel.Information,
        Message = "Live client {connection_id} connected ({connections} open)")]
    public partial void Connected(string connection_id, int connections);

    [LoggerMessage(EventId = 5001, EventName = "live.disconnected", Level = LogLevel.Information,
        Message = "Live client {connection_id} disconnected after {duration_ms} ms ({reason})")]
    public partial void Disconnected(string connection_id, long duration_ms, string reason);

    /// <summary>A fan-out through Redis failed; logged when the failures start and then once a minute.</summary>
    public void FanOutFailed(Exception exception)
    {
        _fanOutFailing = true;
        if (_fanOutFailures.ShouldReport(out var failures))
        {
            FanOutUnavailable(exception.GetType().Name, failures);
        }
    }

    /// <summary>A fan-out through Redis worked: after failures, says so once.</summary>
    public void FanOutSucceeded()
    {
        if (_fanOutFailing)
        {
            _fanOutFailing = false;
            FanOutRestored(_fanOutFailures.Reset());
        }
    }

    [LoggerMessage(EventId = 5002, EventName = "live.fanout_unavailable", Level = LogLevel.Warning,
        Message = "Live fan-out through Redis is unavailable ({error_type}); delivering to this replica only ({failures} failures since the last report)")]
    private partial void FanOutUnavailable(string error_type, int failures);

    [LoggerMessage(EventId = 5003, EventName = "live.subscribed", Level = LogLevel.Information,
        Message = "Subscribed to the live feed channel")]
    public partial void Subscribed();

    [LoggerMessage(EventId = 5004, EventName = "live.fanout_restored", Level = LogLevel.Information,
        Message = "Live fan-out through Redis works again ({failures} failures since the last report)")]
    private partial void FanOutRestored(int failures);
}
