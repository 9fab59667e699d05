using Blog.ServiceDefaults.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Blog.Tests.Unit.Logging;

/// <summary>One log line for many identical failures: the first at once, then one per interval with the count.</summary>
public sealed class FailureReportThrottleTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void The_first_failure_is_reported_then_one_report_per_interval_counts_the_ones_held_back()
    {
        var throttle = new FailureReportThrottle(_clock, TimeSpan.FromMinutes(1));

        Assert.True(throttle.ShouldReport(out var first));
        Assert.Equal(1, first);
        for (var i = 0; i < 99; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(500));
            Assert.False(throttle.ShouldReport(out _));
        }

        _clock.Advance(TimeSpan.FromSeconds(11));
        Assert.True(throttle.ShouldReport(out var next));
        Assert.Equal(100, next);
    }

    [Fact]
    public void After_a_reset_the_next_failure_is_reported_at_once()
    {
        var throttle = new FailureReportThrottle(_clock, TimeSpan.FromMinutes(1));
        throttle.ShouldReport(out _);
        throttle.ShouldReport(out _);
        throttle.ShouldReport(out _);

        Assert.Equal(2, throttle.Reset());
        Assert.True(throttle.ShouldReport(out var failures));
        Assert.Equal(1, failures);
    }
}
