namespace Blog.ApiService.Live;

public sealed partial class LiveLog(ILogger<LiveLog> logger)
{
    [LoggerMessage(EventId = 5000, EventName = "live.connected", Level = LogLevel.Information,
        Message = "Live client {connection_id} connected ({connections} open)")]
    public partial void Connected(string connection_id, int connections);

    [LoggerMessage(EventId = 5001, EventName = "live.disconnected", Level = LogLevel.Information,
        Message = "Live client {connection_id} disconnected after {duration_ms} ms ({reason})")]
    public partial void Disconnected(string connection_id, long duration_ms, string reason);

    [LoggerMessage(EventId = 5002, EventName = "live.fanout_unavailable", Level = LogLevel.Warning,
        Message = "Live fan-out through Redis is unavailable ({error_type}); delivering to this replica only")]
    public partial void FanOutUnavailable(string error_type);

    [LoggerMessage(EventId = 5003, EventName = "live.subscribed", Level = LogLevel.Information,
        Message = "Subscribed to the live feed channel")]
    public partial void Subscribed();
}
