using System.Diagnostics.Metrics;
using System.Net.Sockets;
using Blog.ServiceDefaults.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Blog.Tests.Unit.Health;

/// <summary>The /api/health summary: what each check's outcome becomes, and how long a report is reused.</summary>
public sealed class DependencyHealthTests
{
    private static readonly TimeSpan CacheDuration = TimeSpan.FromSeconds(2);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private readonly FakeHealthChecks _checks = new();

    private readonly HealthStatusGauge _gauge = new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    private DependencyHealth Health() =>
        new(_checks, Options.Create(new HealthOptions { CacheDuration = CacheDuration }), _clock, _gauge, NullLogger<DependencyHealth>.Instance);

    [Fact]
    public async Task All_dependencies_healthy_is_ok_with_each_check_ok()
    {
        _checks.Add("database", _ => Healthy());
        _checks.Add("redis", _ => Healthy());

        var summary = await Health().GetAsync(CancellationToken.None);

        Assert.Equal("ok", summary.Status);
        Assert.Equal(new Dictionary<string, string> { ["database"] = "ok", ["redis"] = "ok" }, summary.Checks);
    }

    public static TheoryData<Exception?, string> Failures => new()
    {
        { new OperationCanceledException(), "error: timeout" },
        { new TaskCanceledException(), "error: timeout" },
        { new TimeoutException(), "error: timeout" },
        { new SocketException((int)SocketError.ConnectionRefused), "error: unreachable" },
        { new InvalidOperationException("No connection is available"), "error: unreachable" },
        { null, "error: unreachable" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_failing_dependency_degrades_the_summary_and_is_named_timeout_or_unreachable(Exception? failure, string expected)
    {
        _checks.Add("database", _ => Healthy());
        _checks.Add("redis", _ => new HealthReportEntry(HealthStatus.Unhealthy, "secret host redis.internal:6379", TimeSpan.Zero, failure, null));

        var summary = await Health().GetAsync(CancellationToken.None);

        Assert.Equal("degraded", summary.Status);
        Assert.Equal(new Dictionary<string, string> { ["database"] = "ok", ["redis"] = expected }, summary.Checks);
    }

    [Fact]
    public async Task A_degraded_check_counts_as_failing()
    {
        _checks.Add("redis", _ => new HealthReportEntry(HealthStatus.Degraded, null, TimeSpan.Zero, null, null));

        var summary = await Health().GetAsync(CancellationToken.None);

        Assert.Equal("degraded", summary.Status);
        Assert.Equal("error: unreachable", summary.Checks["redis"]);
    }

    [Fact]
    public async Task Only_checks_tagged_as_dependencies_are_run_and_shown()
    {
        _checks.Add("database", _ => Healthy());
        _checks.Add("self", _ => throw new Xunit.Sdk.XunitException("the liveness check must not run"), tags: ["live"]);

        var summary = await Health().GetAsync(CancellationToken.None);

        Assert.Equal(["database"], summary.Checks.Keys);
    }

    [Fact]
    public async Task A_report_is_reused_within_the_cache_duration_and_refreshed_after_it()
    {
        var redisUp = true;
        _checks.Add("redis", _ => redisUp ? Healthy() : new HealthReportEntry(HealthStatus.Unhealthy, null, TimeSpan.Zero, new TimeoutException(), null));
        var health = Health();

        Assert.Equal("ok", (await health.GetAsync(CancellationToken.None)).Status);
        redisUp = false;
        _clock.Advance(CacheDuration - TimeSpan.FromMilliseconds(1));
        Assert.Equal("ok", (await health.GetAsync(CancellationToken.None)).Status);
        Assert.Equal(1, _checks.Rounds);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("degraded", (await health.GetAsync(CancellationToken.None)).Status);
        Assert.Equal(2, _checks.Rounds);

        _clock.Advance(CacheDuration / 2);
        await health.GetAsync(CancellationToken.None);
        Assert.Equal(2, _checks.Rounds);
    }

    [Fact]
    public async Task A_burst_of_concurrent_probes_costs_one_round_of_checks()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _checks.Add("database", _ => Healthy());
        _checks.BeforeEachRound = () => release.Task;
        var health = Health();

        var probes = Enumerable.Range(0, 8).Select(_ => health.GetAsync(CancellationToken.None)).ToList();
        release.SetResult();
        var summaries = await Task.WhenAll(probes);

        Assert.Equal(1, _checks.Rounds);
        Assert.All(summaries, s => Assert.Equal("ok", s.Status));
    }

    [Fact]
    public async Task A_zero_cache_duration_checks_on_every_call()
    {
        _checks.Add("database", _ => Healthy());
        var health = new DependencyHealth(_checks, Options.Create(new HealthOptions { CacheDuration = TimeSpan.Zero }), _clock,
            _gauge, NullLogger<DependencyHealth>.Instance);

        await health.GetAsync(CancellationToken.None);
        await health.GetAsync(CancellationToken.None);

        Assert.Equal(2, _checks.Rounds);
    }

    private static HealthReportEntry Healthy() => new(HealthStatus.Healthy, null, TimeSpan.Zero, null, null);

    /// <summary>A HealthCheckService over named results that counts its rounds and honours the caller's predicate.</summary>
    private sealed class FakeHealthChecks : HealthCheckService
    {
        private readonly List<(HealthCheckRegistration Registration, Func<CancellationToken, HealthReportEntry> Result)> _checks = [];
        private int _rounds;

        public int Rounds => Volatile.Read(ref _rounds);

        public Func<Task> BeforeEachRound { get; set; } = () => Task.CompletedTask;

        public void Add(string name, Func<CancellationToken, HealthReportEntry> result, string[]? tags = null) =>
            _checks.Add((new HealthCheckRegistration(name, _ => throw new NotSupportedException(), HealthStatus.Unhealthy,
                tags ?? [DependencyHealth.Tag]), result));

        public override async Task<HealthReport> CheckHealthAsync(Func<HealthCheckRegistration, bool>? predicate, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _rounds);
            await BeforeEachRound();
            var entries = _checks.Where(c => predicate?.Invoke(c.Registration) ?? true)
                .ToDictionary(c => c.Registration.Name, c => c.Result(cancellationToken));
            return new HealthReport(entries, TimeSpan.Zero);
        }
    }
}
