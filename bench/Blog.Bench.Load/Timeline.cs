namespace Blog.Bench.Load;

/// <summary>A fault the script injected: from <see cref="StartMs"/> to <see cref="EndMs"/> (equal for an instant one, such as a SIGKILL).</summary>
public sealed record Fault(string Name, long StartMs, long EndMs);

/// <summary>
/// The fault schedule as the script wrote it (lines of <c>unix_ms start|end name</c>), and the phase each
/// moment belongs to: <c>baseline</c> before the first fault, the fault's name while it lasts, then
/// <c>after {name}</c> until the next one starts.
/// </summary>
public sealed class Timeline
{
    private readonly List<(long AtMs, string Phase)> _marks = [];

    public IReadOnlyList<Fault> Faults { get; }

    public Timeline(IEnumerable<string> lines)
    {
        var open = new Dictionary<string, long>();
        var faults = new List<Fault>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 3 || !long.TryParse(parts[0], out var atMs))
            {
                continue;
            }

            var name = parts[2];
            if (parts[1] == "start")
            {
                open[name] = atMs;
                _marks.Add((atMs, name));
            }
            else if (parts[1] == "end" && open.Remove(name, out var startMs))
            {
                faults.Add(new Fault(name, startMs, atMs));
                _marks.Add((atMs, $"after {name}"));
            }
        }

        _marks.Sort((a, b) => a.AtMs.CompareTo(b.AtMs));
        Faults = faults.OrderBy(f => f.StartMs).ToList();
    }

    public static Timeline Load(string path) => new(path.Length > 0 && File.Exists(path) ? File.ReadAllLines(path) : []);

    public string PhaseAt(long atMs)
    {
        var phase = "baseline";
        foreach (var (markMs, name) in _marks)
        {
            if (markMs > atMs)
            {
                break;
            }

            phase = name;
        }

        return phase;
    }

    /// <summary>The phases in the order they happened.</summary>
    public IReadOnlyList<string> Phases => ["baseline", .. _marks.Select(m => m.Phase).Distinct()];
}

/// <summary>
/// Time to recover from a fault, for one kind of request: from the fault's end to the answer of the first of
/// <c>run</c> successes in a row among the requests started after it. Zero when the first ones succeed at once;
/// null when no such run came before the load ended.
/// </summary>
public static class Recovery
{
    public static TimeSpan? After(long faultEndMs, IEnumerable<RequestRecord> requestsOfOneKind, int run)
    {
        var streak = 0;
        long firstOfStreakEndMs = 0;
        foreach (var request in requestsOfOneKind.Where(r => r.StartMs >= faultEndMs).OrderBy(r => r.StartMs))
        {
            if (!request.Succeeded)
            {
                streak = 0;
                continue;
            }

            if (streak++ == 0)
            {
                firstOfStreakEndMs = request.EndMs;
            }

            if (streak == run)
            {
                return TimeSpan.FromMilliseconds(Math.Max(0, firstOfStreakEndMs - faultEndMs));
            }
        }

        return null;
    }

    /// <summary>
    /// For live-feed clients: how long after the fault's end the last client that lost its connection during the
    /// fault (or just after: by the end plus <paramref name="grace"/>) had a new one. Zero when none lost it.
    /// </summary>
    public static TimeSpan? LiveAfter(Fault fault, IReadOnlyList<LiveConnection> connections, TimeSpan grace)
    {
        var latest = fault.EndMs;
        foreach (var lost in connections.Where(c => c.ClosedMs is { } closed && closed >= fault.StartMs
                     && closed <= fault.EndMs + (long)grace.TotalMilliseconds))
        {
            var next = connections.Where(c => c.Client == lost.Client && c.ConnectedMs >= lost.ClosedMs)
                .Select(c => (long?)c.ConnectedMs).Min();
            if (next is null)
            {
                return null;
            }

            latest = Math.Max(latest, next.Value);
        }

        return TimeSpan.FromMilliseconds(latest - fault.EndMs);
    }
}
