using System.Globalization;
using System.Text;

namespace Blog.Bench.Load;

public sealed record PhaseStats(string Phase, int Requests, int Succeeded, IReadOnlyDictionary<string, int> Failures,
    int FailedOver, double P50Ms, double P99Ms, double MaxMs);

public sealed record FaultRecovery(string Fault, DateTimeOffset Start, double DurationSeconds,
    IReadOnlyDictionary<string, double?> RecoverySeconds);

public sealed record LiveStats(int Clients, int Connections, int Reconnects, int ConnectFailures, long Events,
    IReadOnlyDictionary<string, int> CloseReasons, double LongestGapSeconds);

public sealed record SlowRequest(string Kind, string Phase, DateTimeOffset Start, double LatencyMs, string Replica, string Outcome);

public sealed record Verdict(bool Passed, IReadOnlyList<string> Reasons);

public sealed record LoadReport(
    string RunId, DateTimeOffset Start, DateTimeOffset End, IReadOnlyList<string> Replicas, string Load,
    IReadOnlyList<PhaseStats> Phases, IReadOnlyList<AuditResult>? Writes, SlowRequest? Slowest,
    int OverDeadline, IReadOnlyList<FaultRecovery> Recovery, LiveStats Live, Verdict Verdict);

/// <summary>Turns what was recorded into the report: per phase, per fault, and a verdict against the promised bounds.</summary>
public static class ReportBuilder
{
    private static readonly string[] Kinds = ["read", "write", "comment", "probe-read", "probe-write", "page"];

    public static LoadReport Build(string runId, DateTimeOffset start, DateTimeOffset end, LoadOptions options, Timeline timeline,
        Recorder recorder, IReadOnlyList<AuditResult>? audit, int liveClients)
    {
        var requests = recorder.Requests;
        var byPhase = requests.GroupBy(r => timeline.PhaseAt(r.StartMs)).ToDictionary(g => g.Key, g => g.ToList());
        var phases = timeline.Phases.Where(byPhase.ContainsKey).Select(p => Stats(p, byPhase[p])).ToList();
        phases.Add(Stats("all", [.. requests]));

        var slowest = requests.MaxBy(r => r.LatencyMs);
        var live = recorder.LiveConnections;
        var recovery = timeline.Faults.Select(f => new FaultRecovery(f.Name, DateTimeOffset.FromUnixTimeMilliseconds(f.StartMs),
            (f.EndMs - f.StartMs) / 1000.0, RecoveryOf(f, requests, live, options, liveClients))).ToList();
        var liveStats = LiveOf(live, liveClients, recorder.LiveConnectFailures, end);
        var overDeadline = requests.Count(r => r.LatencyMs > options.Deadline.TotalMilliseconds);

        var reasons = new List<string>();
        if (audit is null)
        {
            reasons.Add("acknowledged writes were not checked (no --Database)");
        }
        else
        {
            foreach (var kind in audit.Where(a => a.Lost.Count > 0))
            {
                reasons.Add($"{kind.Lost.Count} acknowledged {kind.Kind}(s) lost");
            }

            foreach (var kind in audit.Where(a => a.Duplicates > 0))
            {
                reasons.Add($"{kind.Duplicates} {kind.Kind}(s) applied twice");
            }
        }

        if (overDeadline > 0)
        {
            reasons.Add($"{overDeadline} request(s) took longer than the {options.Deadline.TotalSeconds:0.#} s deadline (slowest {slowest!.LatencyMs / 1000:0.0} s)");
        }

        foreach (var fault in recovery)
        {
            foreach (var (kind, seconds) in fault.RecoverySeconds)
            {
                if (seconds is null)
                {
                    reasons.Add($"{kind} did not recover after {fault.Fault}");
                }
                else if (seconds > options.RecoveryLimit.TotalSeconds)
                {
                    reasons.Add($"{kind} took {seconds:0.0} s to recover after {fault.Fault} (limit {options.RecoveryLimit.TotalSeconds:0.#} s)");
                }
            }
        }

        var replicas = options.ApiUris().Select(u => u.Authority).ToList();
        var load = $"{options.Readers} readers, {options.Writers} writers, {options.Commenters} commenters, " +
            $"{liveClients} live-feed clients, {options.PageViewers} browser pages; think time {options.ThinkTime.TotalMilliseconds:0} ms; " +
            (options.ProbeInterval > TimeSpan.Zero ? $"open-loop probe: a read and a write every {options.ProbeInterval.TotalMilliseconds:0} ms" : "no probe");
        return new LoadReport(runId, start, end, replicas, load, phases, audit, slowest is null ? null : Slow(slowest, timeline),
            overDeadline, recovery, liveStats, new Verdict(reasons.Count == 0, reasons));
    }

    private static PhaseStats Stats(string phase, List<RequestRecord> requests)
    {
        var failures = requests.Where(r => !r.Succeeded)
            .GroupBy(r => r.Outcome == Outcome.Answered ? r.Status.ToString(CultureInfo.InvariantCulture) : Describe(r.Outcome))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        var latencies = requests.Select(r => r.LatencyMs).Order().ToList();
        return new PhaseStats(phase, requests.Count, requests.Count(r => r.Succeeded), failures, requests.Count(r => r.Attempts > 1),
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Count == 0 ? 0 : latencies[^1]);
    }

    private static Dictionary<string, double?> RecoveryOf(Fault fault, IReadOnlyList<RequestRecord> requests,
        IReadOnlyList<LiveConnection> live, LoadOptions options, int liveClients)
    {
        var result = new Dictionary<string, double?>();
        foreach (var kind in Kinds)
        {
            var ofKind = requests.Where(r => r.Kind == kind).ToList();
            if (ofKind.Count > 0)
            {
                result[kind] = Recovery.After(fault.EndMs, ofKind, options.RecoveryRun)?.TotalSeconds;
            }
        }

        if (liveClients > 0)
        {
            result["live"] = Recovery.LiveAfter(fault, live, options.RecoveryLimit)?.TotalSeconds;
        }

        return result;
    }

    private static LiveStats LiveOf(IReadOnlyList<LiveConnection> live, int clients, int connectFailures, DateTimeOffset end)
    {
        var gaps = live.GroupBy(c => c.Client).SelectMany(g =>
        {
            var ordered = g.OrderBy(c => c.ConnectedMs).ToList();
            return ordered.Zip(ordered.Skip(1), (a, b) => (b.ConnectedMs - (a.ClosedMs ?? b.ConnectedMs)) / 1000.0);
        }).ToList();
        var reasons = live.Where(c => c.CloseReason is not null).GroupBy(c => c.CloseReason!)
            .ToDictionary(g => g.Key, g => g.Count());
        return new LiveStats(clients, live.Count, Math.Max(0, live.Count - clients), connectFailures, live.Sum(c => c.Events),
            reasons, gaps.Count == 0 ? 0 : gaps.Max());
    }

    private static SlowRequest Slow(RequestRecord r, Timeline timeline) => new(r.Kind, timeline.PhaseAt(r.StartMs),
        DateTimeOffset.FromUnixTimeMilliseconds(r.StartMs), r.LatencyMs, r.Replica,
        r.Outcome == Outcome.Answered ? r.Status.ToString(CultureInfo.InvariantCulture) : Describe(r.Outcome));

    private static string Describe(Outcome outcome) => outcome switch
    {
        Outcome.Timeout => "timeout",
        Outcome.ConnectFailed => "connect-failed",
        Outcome.ConnectionLost => "connection-lost",
        _ => "answered",
    };

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public static string ToText(LoadReport report, LoadOptions options)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(inv));

        Line($"Run {report.RunId}: {report.Start:yyyy-MM-dd HH:mm:ss} to {report.End:HH:mm:ss} UTC ({(report.End - report.Start).TotalSeconds:0} s), API replicas {string.Join(", ", report.Replicas)}");
        Line($"Load: {report.Load}; client timeout {options.RequestTimeout.TotalSeconds:0} s, deadline {options.Deadline.TotalSeconds:0.#} s");
        text.AppendLine();
        Line($"{"Phase",-28} {"requests",9} {"ok",8} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"failed over",11}  failures");
        foreach (var p in report.Phases)
        {
            var failures = p.Failures.Count == 0 ? "-" : string.Join(", ", p.Failures.Select(f => $"{f.Key}: {f.Value}"));
            Line($"{p.Phase,-28} {p.Requests,9} {p.Succeeded,8} {p.P50Ms,8:0} {p.P99Ms,8:0} {p.MaxMs,8:0} {p.FailedOver,11}  {failures}");
        }

        text.AppendLine();
        if (report.Writes is null)
        {
            text.AppendLine("Acknowledged writes: not checked against PostgreSQL.");
        }
        else
        {
            foreach (var w in report.Writes)
            {
                Line($"Acknowledged {w.Kind}s: {w.Acknowledged}; lost: {w.Lost.Count}{(w.Lost.Count > 0 ? $" (ids {string.Join(", ", w.Lost.Take(20))})" : "")}; applied twice: {w.Duplicates}; applied without acknowledgement: {w.Unacknowledged}");
            }
        }

        if (report.Slowest is { } s)
        {
            Line($"Slowest request: {s.LatencyMs / 1000:0.00} s, {s.Kind} to {s.Replica} at {s.Start:HH:mm:ss.fff} ({s.Phase}), outcome {s.Outcome}");
        }

        Line($"Requests over the {options.Deadline.TotalSeconds:0.#} s deadline: {report.OverDeadline}");
        text.AppendLine();
        if (report.Recovery.Count > 0)
        {
            Line($"Time to recover (fault end to the answer of the first of {options.RecoveryRun} successes in a row among requests started after it; live: to the last client reconnected).");
            text.AppendLine("Workers (read, write, comment) start a request only when their previous one answered, so theirs include the tail of requests stalled by the fault; the probes start on time.");
            foreach (var f in report.Recovery)
            {
                var kinds = string.Join(", ", f.RecoverySeconds.Select(k => $"{k.Key} {(k.Value is { } v ? v.ToString("0.0 's'", inv) : "never")}"));
                Line($"  {f.Fault,-26} at {f.Start:HH:mm:ss}, lasted {f.DurationSeconds:0.0} s: {kinds}");
            }

            text.AppendLine();
        }

        var l = report.Live;
        var reasons = l.CloseReasons.Count == 0 ? "none" : string.Join(", ", l.CloseReasons.Select(r => $"{r.Key}: {r.Value}"));
        Line($"Live feed: {l.Clients} clients, {l.Connections} connections, {l.Reconnects} reconnects, {l.ConnectFailures} failed connection attempts, {l.Events} events heard, longest time without a connection {l.LongestGapSeconds:0.0} s; closes: {reasons}");
        text.AppendLine();
        Line($"Verdict: {(report.Verdict.Passed ? "PASS" : "FAIL")}{(report.Verdict.Passed ? $" (0 lost writes, no request past {options.Deadline.TotalSeconds:0.#} s, every recovery within {options.RecoveryLimit.TotalSeconds:0.#} s)" : ": " + string.Join("; ", report.Verdict.Reasons))}");
        return text.ToString();
    }
}
