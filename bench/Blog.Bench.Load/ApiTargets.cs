namespace Blog.Bench.Load;

/// <summary>
/// Client-side round robin across the API replicas, with the passive check a load balancer does: a replica
/// that refused a connection is skipped for a while. When every replica is ejected, they are all tried.
/// </summary>
public sealed class ApiTargets(IReadOnlyList<Uri> replicas, TimeSpan ejectFor, TimeProvider clock)
{
    private readonly long[] _ejectedUntil = new long[replicas.Count];
    private int _next = -1;

    public int Count => replicas.Count;

    /// <summary>The next replica in turn that is not ejected (or the next in turn if all are).</summary>
    public int Next()
    {
        var now = clock.GetTimestamp();
        var start = Interlocked.Increment(ref _next) & int.MaxValue;
        for (var i = 0; i < replicas.Count; i++)
        {
            var index = (start + i) % replicas.Count;
            if (Volatile.Read(ref _ejectedUntil[index]) <= now)
            {
                return index;
            }
        }

        return start % replicas.Count;
    }

    public Uri this[int index] => replicas[index];

    public void Eject(int index) =>
        Volatile.Write(ref _ejectedUntil[index], clock.GetTimestamp() + (long)(ejectFor.TotalSeconds * clock.TimestampFrequency));
}
