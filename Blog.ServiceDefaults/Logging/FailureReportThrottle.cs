namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// Lets one log line stand for many identical failures of a dependency: the first failure is reported, then at
/// most one per <c>interval</c>, carrying how many failures it stands for. A busy service in an outage then writes
/// (and sends to Sentry) a handful of lines, not one per request; the count keeps the scale visible.
/// </summary>
public sealed class FailureReportThrottle(TimeProvider clock, TimeSpan interval)
{
    private readonly Lock _lock = new();
    private DateTimeOffset _lastReported = DateTimeOffset.MinValue;
    private int _unreported;

    /// <summary>
    /// Counts one failure; true when it should be reported now, with <paramref name="failures"/> the failures
    /// the report stands for (this one and those held back since the last report).
    /// </summary>
    public bool ShouldReport(out int failures)
    {
        lock (_lock)
        {
            _unreported++;
            var now = clock.GetUtcNow();
            if (now - _lastReported < interval)
            {
                failures = 0;
                return false;
            }

            failures = _unreported;
            _unreported = 0;
            _lastReported = now;
            return true;
        }
    }

    /// <summary>
    /// After a recovery: the failures held back since the last report (0 if none), and the next failure is
    /// reported at once.
    /// </summary>
    public int Reset()
    {
        lock (_lock)
        {
            var held = _unreported;
            _unreported = 0;
            _lastReported = DateTimeOffset.MinValue;
            return held;
        }
    }
}
