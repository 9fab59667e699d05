using System.Collections.Concurrent;

namespace Blog.Bench.Load;

/// <summary>How one logical request ended.</summary>
public enum Outcome
{
    /// <summary>The server answered with a status code (success or not: see <see cref="RequestRecord.Status"/>).</summary>
    Answered,

    /// <summary>No answer within the client timeout.</summary>
    Timeout,

    /// <summary>No replica accepted the connection, so the request was never sent.</summary>
    ConnectFailed,

    /// <summary>The request was sent and the connection dropped before an answer: the server may have applied it.</summary>
    ConnectionLost,
}

/// <param name="StartMs">Unix milliseconds at which the request was started (the same clock the scripts' fault events use).</param>
/// <param name="Attempts">More than one when a replica refused the connection and the request went to another.</param>
public sealed record RequestRecord(string Kind, long StartMs, double LatencyMs, string Replica, Outcome Outcome, int Status, int Attempts)
{
    public bool Succeeded => Outcome == Outcome.Answered && Status is >= 200 and < 300;

    public long EndMs => StartMs + (long)LatencyMs;
}

/// <summary>A write the API acknowledged (2xx) and the id it returned; <paramref name="Marker"/> is unique per write.</summary>
public sealed record AcknowledgedWrite(string Kind, long Id, string Marker, long AckMs);

/// <summary>A live-feed connection that opened and later closed (or was still open at the end).</summary>
public sealed record LiveConnection(int Client, string Replica, long ConnectedMs, long? ClosedMs, long Events, string? CloseReason);

/// <summary>Everything the workers saw; thread-safe, read once after the run.</summary>
public sealed class Recorder
{
    private readonly ConcurrentQueue<RequestRecord> _requests = new();
    private readonly ConcurrentQueue<AcknowledgedWrite> _writes = new();
    private readonly ConcurrentQueue<LiveConnection> _live = new();
    private readonly ConcurrentQueue<long> _liveConnectFailures = new();
    private int _count;

    /// <summary>Counts a request against the run's bound; false once the bound is reached.</summary>
    public bool TryStartRequest(int maxRequests) => Interlocked.Increment(ref _count) <= maxRequests;

    public void Request(RequestRecord record) => _requests.Enqueue(record);

    public void Write(AcknowledgedWrite write) => _writes.Enqueue(write);

    public void Live(LiveConnection connection) => _live.Enqueue(connection);

    public void LiveConnectFailed(long atMs) => _liveConnectFailures.Enqueue(atMs);

    public IReadOnlyList<RequestRecord> Requests => [.. _requests.OrderBy(r => r.StartMs)];

    public IReadOnlyList<AcknowledgedWrite> Writes => [.. _writes];

    public IReadOnlyList<LiveConnection> LiveConnections => [.. _live.OrderBy(c => c.ConnectedMs)];

    public int LiveConnectFailures => _liveConnectFailures.Count;
}
