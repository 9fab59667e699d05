using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting;
using Blog.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Blog.Tests.Faults;

/// <summary>
/// PostgreSQL goes away (fast shutdown, as a crash or a failover looks to clients) under concurrent reads and
/// writes, then comes back. Tests in one collection run one at a time and the finally block restores the
/// database, so no other test sees the outage.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class PostgresOutageTests(BlogAppFixture fixture, ITestOutputHelper output)
{
    /// <summary>The services' default Requests:Timeout.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(5);

    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    [Fact]
    public async Task During_a_postgres_outage_every_request_is_answered_within_the_deadline_and_the_api_recovers_by_itself()
    {
        using var probe = Api();
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/alive")).StatusCode);
        var load = await MixedLoad.StartAsync(Api, writers: 4, readers: 4);
        var alive = new List<TimeSpan>();
        using var stopProbing = new CancellationTokenSource();
        var probing = Task.Run(async () =>
        {
            while (!stopProbing.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await probe.GetAsync("/alive");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                alive.Add(Stopwatch.GetElapsedTime(started));
                await Task.Delay(100);
            }
        });

        TimeSpan recovery;
        TimeSpan pageTime;
        try
        {
            await WaitFor.ConditionAsync(() => Task.FromResult(load.AcknowledgedPostIds.Count >= 8), TimeSpan.FromSeconds(20), "writes before the outage");
            await StopPostgresFastAsync();
            var outageEnds = Stopwatch.GetTimestamp() + (long)(OutageLength.TotalSeconds * Stopwatch.Frequency);

            JsonElement health = default;
            await WaitFor.ConditionAsync(async () =>
            {
                using var response = await probe.GetAsync("/api/health");
                health = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                return response.StatusCode == HttpStatusCode.ServiceUnavailable;
            }, OutageLength, "/api/health to report the outage");
            Assert.Equal("degraded", health.GetProperty("status").GetString());
            Assert.StartsWith("error", health.GetProperty("checks").GetProperty("database").GetString());

            // A reader of the web frontend is told, within the deadline, with an id to quote.
            using var web = fixture.CreateHttpClient("webfrontend");
            web.Timeout = MixedLoad.ClientTimeout;
            var pageStarted = Stopwatch.GetTimestamp();
            var page = await web.GetStringAsync($"/posts/{long.MaxValue - Random.Shared.Next(1000)}");
            pageTime = Stopwatch.GetElapsedTime(pageStarted);
            Assert.True(pageTime < Deadline, $"the page took {pageTime}");
            Assert.Contains("not answering", page);
            Assert.Contains("data-testid=\"request-id\"", page);

            // The outage lasts its full length whatever the checks above took: the load keeps running meanwhile.
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), outageEnds);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left);
            }

            await fixture.StartResourceAsync("postgres");
            var back = Stopwatch.GetTimestamp();
            var acknowledged = load.AcknowledgedPostIds.Count;
            await WaitFor.ConditionAsync(() => Task.FromResult(load.AcknowledgedPostIds.Count > acknowledged + 4), TimeSpan.FromSeconds(30),
                "writes to succeed again after PostgreSQL returned");
            recovery = Stopwatch.GetElapsedTime(back);
        }
        finally
        {
            await load.StopAsync();
            await stopProbing.CancelAsync();
            await probing;
            await EnsurePostgresRunningAsync();
        }

        var outcomes = load.Outcomes.ToList();
        var refused = outcomes.Where(o => o.Status == (int)HttpStatusCode.ServiceUnavailable).ToList();
        var summary = $"{outcomes.Count} requests, {outcomes.Count(o => o.IsSuccess)} succeeded, {refused.Count} refused with 503, " +
                      $"slowest {outcomes.Max(o => o.Duration).TotalMilliseconds:F0} ms, recovery {recovery.TotalMilliseconds:F0} ms, " +
                      $"slowest refusal {(refused.Count > 0 ? refused.Max(o => o.Duration).TotalMilliseconds : 0):F0} ms, " +
                      $"slowest /alive {alive.Max().TotalMilliseconds:F0} ms, web page during the outage {pageTime.TotalMilliseconds:F0} ms";
        output.WriteLine(summary);
        Assert.True(outcomes.All(o => o.IsSuccess || o.Status == 503), $"{summary}; other answers:\n{string.Join("\n", outcomes.Where(o => !o.IsSuccess && o.Status != 503).Take(10))}");
        Assert.True(refused.Count > 0, $"{summary}: the outage was never felt");
        Assert.All(refused, o =>
        {
            Assert.Equal("application/problem+json", o.ContentType);
            Assert.True(o.HasRetryAfter, $"no Retry-After: {o}");
            Assert.False(string.IsNullOrEmpty(o.RequestId), $"no request id: {o}");
        });
        Assert.True(outcomes.All(o => o.Duration < Deadline), $"{summary}: a request outlived the deadline");
        Assert.True(refused.All(o => o.Duration < TimeSpan.FromSeconds(5)), $"{summary}: a refusal took more than a few seconds");
        // Under 100 ms as a rule (p95). The whole suite, its load and the AppHost share two cores here; full runs saw
        // single probes of 0.7 and 1.0 s during the outage (cause not yet found), so the ceiling catches only a stall.
        var aliveP95 = alive.Order().ElementAt((int)(alive.Count * 0.95));
        Assert.True(aliveP95 < TimeSpan.FromMilliseconds(100) && alive.Max() < TimeSpan.FromSeconds(2),
            $"{summary}, /alive p95 {aliveP95.TotalMilliseconds:F0} ms: /alive was slow");
        Assert.True(recovery < TimeSpan.FromSeconds(5), summary);

        await load.AssertNothingLostOrDuplicatedAsync(await fixture.GetConnectionStringAsync("blogdb"));
    }

    /// <summary>
    /// SIGINT is PostgreSQL's fast shutdown: it drops every client at once. The Stop command's SIGTERM is a
    /// smart shutdown, which waits for the API's pooled connections to go and so never looks like an outage.
    /// </summary>
    private async Task StopPostgresFastAsync()
    {
        var pid = (await File.ReadAllLinesAsync(Path.Combine(fixture.DataDirectory, "postgres", "postmaster.pid")))[0].Trim();
        using (var kill = Process.Start("kill", ["-INT", pid]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await fixture.App.ResourceNotifications.WaitForResourceAsync("postgres", e => e.Snapshot.State?.Text is "Exited" or "Finished", cts.Token);
    }

    private async Task EnsurePostgresRunningAsync()
    {
        if (!fixture.App.ResourceNotifications.TryGetCurrentState("postgres", out var state) || state.Snapshot.State?.Text != "Running")
        {
            await fixture.StartResourceAsync("postgres");
        }

        using var client = Api();
        await WaitFor.ConditionAsync(async () => (await client.GetAsync("/api/health")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "the API to report healthy again");
    }
}
