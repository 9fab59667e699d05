using System.Collections.Concurrent;

namespace Blog.Bench.Receiver;

/// <summary>What has arrived since the last reset; updated from concurrent requests.</summary>
public sealed class ReceiverCounts
{
    private readonly Signal _traces = new();
    private readonly Signal _logs = new();
    private readonly Signal _metrics = new();
    private readonly Signal _sentryTraces = new();
    private long _sentryEnvelopes;
    private long _sentryBytes;
    private long _sentryDiscardedTransactions;
    private readonly ConcurrentDictionary<string, long> _sentryItems = new();

    public void AddOtlp(OtlpSignal signal, long wireBytes, long items)
    {
        var counter = signal switch
        {
            OtlpSignal.Traces => _traces,
            OtlpSignal.Logs => _logs,
            OtlpSignal.SentryTraces => _sentryTraces,
            _ => _metrics,
        };
        Interlocked.Increment(ref counter.Requests);
        Interlocked.Add(ref counter.Bytes, wireBytes);
        Interlocked.Add(ref counter.Items, items);
    }

    public void AddSentryEnvelope(long wireBytes, IEnumerable<string> itemTypes, long discardedTransactions = 0)
    {
        Interlocked.Increment(ref _sentryEnvelopes);
        Interlocked.Add(ref _sentryDiscardedTransactions, discardedTransactions);
        Interlocked.Add(ref _sentryBytes, wireBytes);
        foreach (var type in itemTypes)
        {
            _sentryItems.AddOrUpdate(type, 1, (_, n) => n + 1);
        }
    }

    public void Reset()
    {
        foreach (var signal in new[] { _traces, _logs, _metrics, _sentryTraces })
        {
            Interlocked.Exchange(ref signal.Requests, 0);
            Interlocked.Exchange(ref signal.Bytes, 0);
            Interlocked.Exchange(ref signal.Items, 0);
        }

        Interlocked.Exchange(ref _sentryEnvelopes, 0);
        Interlocked.Exchange(ref _sentryBytes, 0);
        Interlocked.Exchange(ref _sentryDiscardedTransactions, 0);
        _sentryItems.Clear();
    }

    public CountsSnapshot Snapshot() => new(
        Interlocked.Read(ref _traces.Requests), Interlocked.Read(ref _traces.Bytes), Interlocked.Read(ref _traces.Items),
        Interlocked.Read(ref _logs.Requests), Interlocked.Read(ref _logs.Bytes), Interlocked.Read(ref _logs.Items),
        Interlocked.Read(ref _metrics.Requests), Interlocked.Read(ref _metrics.Bytes), Interlocked.Read(ref _metrics.Items),
        Interlocked.Read(ref _sentryTraces.Requests), Interlocked.Read(ref _sentryTraces.Bytes), Interlocked.Read(ref _sentryTraces.Items),
        Interlocked.Read(ref _sentryEnvelopes), Interlocked.Read(ref _sentryBytes),
        _sentryItems.GetValueOrDefault("transaction"), _sentryItems.GetValueOrDefault("event"),
        Interlocked.Read(ref _sentryDiscardedTransactions),
        new SortedDictionary<string, long>(_sentryItems));

    private sealed class Signal
    {
        public long Requests;
        public long Bytes;
        public long Items;
    }
}

public enum OtlpSignal
{
    Traces,
    Logs,
    Metrics,
    /// <summary>Traces posted to Sentry's OTLP endpoint.</summary>
    SentryTraces,
}

/// <summary>
/// Flat on purpose: bench/observability.sh reads single keys with grep, so every name is unique.
/// Bytes are as received (compressed when the sender compressed).
/// </summary>
public sealed record CountsSnapshot(
    long OtlpTraceRequests, long OtlpTraceBytes, long Spans,
    long OtlpLogRequests, long OtlpLogBytes, long LogRecords,
    long OtlpMetricRequests, long OtlpMetricBytes, long Metrics,
    long SentryOtlpRequests, long SentryOtlpBytes, long SentryOtlpSpans,
    long SentryEnvelopes, long SentryBytes, long SentryTransactions, long SentryEvents,
    long SentryTransactionsDiscardedBySdk,
    SortedDictionary<string, long> SentryItems);
