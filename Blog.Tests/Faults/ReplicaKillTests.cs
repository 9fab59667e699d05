using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Blog.Tests.Faults;

/// <summary>
/// One of two API replicas dies with SIGKILL (no shutdown, no close frames) under write load. The killed
/// replica is started again afterwards so the collection's other tests find two.
/// </summary>
[Collection(TwoReplicaAppCollection.Name)]
public sealed class ReplicaKillTests(TwoReplicaAppFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Killing_one_of_two_replicas_under_load_loses_no_acknowledged_write_and_live_clients_reconnect_to_the_other()
    {
        await BothReplicasRunningAsync();
        var apiBase = fixture.App.GetEndpoint("apiservice", "http");
        var clients = new List<LiveClient>();
        MixedLoad? load = null;
        try
        {
            for (var attempt = 0; attempt < 20 && clients.Select(c => c.Instance).Distinct().Count() < 2; attempt++)
            {
                clients.Add(await LiveClient.ConnectAsync(apiBase));
            }

            Assert.Equal(2, clients.Select(c => c.Instance).Distinct().Count());
            load = await MixedLoad.StartAsync(() => fixture.CreateHttpClient("apiservice"), writers: 4, readers: 2);
            await WaitFor.ConditionAsync(() => Task.FromResult(load.AcknowledgedPostIds.Count >= 10), TimeSpan.FromSeconds(20), "writes before the kill");

            KillOneApiProcess();
            await ExitedReplicaAsync();
            var killedAt = load.AcknowledgedPostIds.Count;

            // The clients of the dead replica lose their connection without a close frame.
            var orphaned = new List<LiveClient>();
            foreach (var client in clients)
            {
                if (await Task.WhenAny(client.Closed, Task.Delay(TimeSpan.FromSeconds(1))) == client.Closed)
                {
                    orphaned.Add(client);
                }
            }

            Assert.NotEmpty(orphaned);
            await WaitFor.ConditionAsync(() => Task.FromResult(load.AcknowledgedPostIds.Count >= killedAt + 20), TimeSpan.FromSeconds(30),
                "writes to continue on the surviving replica");

            // Reconnecting lands on the survivor (an attempt the proxy sends to the dead one fails fast),
            // and the reconnected client hears the posts the load is still writing.
            LiveClient? reconnected = null;
            await WaitFor.ConditionAsync(async () =>
            {
                try
                {
                    reconnected = await LiveClient.ConnectAsync(apiBase);
                    return true;
                }
                catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(15), "a live client to reconnect");
            clients.Add(reconnected!);
            await reconnected!.WaitForAsync(m => m.GetProperty("type").GetString() == "post.created", EventTimeout);
        }
        finally
        {
            if (load is not null)
            {
                await load.StopAsync();
            }

            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            await BothReplicasRunningAsync();
        }

        var outcomes = load.Outcomes.ToList();
        var unanswered = outcomes.Count(o => !o.Answered);
        var serverErrors = outcomes.Where(o => o.Status >= 500 && o.Status != 503).ToList();
        output.WriteLine($"{outcomes.Count} requests, {outcomes.Count(o => o.IsSuccess)} succeeded, {unanswered} unanswered, " +
                         $"{load.AcknowledgedPostIds.Count} writes acknowledged, slowest {outcomes.Max(o => o.Duration).TotalMilliseconds:F0} ms");
        Assert.True(serverErrors.Count == 0, $"{outcomes.Count} requests, {unanswered} unanswered; server errors:\n{string.Join("\n", serverErrors.Take(10))}");
        await load.AssertNothingLostOrDuplicatedAsync(await fixture.GetConnectionStringAsync("blogdb"));
    }

    /// <summary>The replicas' resource ids, as the orchestrator names them.</summary>
    private async Task<List<string>> ReplicaIdsAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new HashSet<string>();
        await foreach (var change in fixture.App.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (change.Resource.Name == "apiservice" && seen.Add(change.ResourceId) && seen.Count == 2)
            {
                break;
            }
        }

        return [.. seen];
    }

    /// <summary>Starts whichever replica is not running (an earlier test of the collection may have stopped them, this one kills one).</summary>
    private async Task BothReplicasRunningAsync()
    {
        foreach (var id in await ReplicaIdsAsync())
        {
            using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
            var current = await fixture.App.ResourceNotifications.WaitForResourceAsync(id,
                e => e.Snapshot.State?.Text is "Running" or "Exited" or "Finished" or "FailedToStart", cts.Token);
            if (current.Snapshot.State?.Text != KnownResourceStates.Running)
            {
                var start = await fixture.App.ResourceCommands.ExecuteCommandAsync(id, KnownResourceCommands.StartCommand, cts.Token);
                Assert.True(start.Success, start.Message);
            }

            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(id, cts.Token);
        }
    }

    /// <summary>The replica the orchestrator saw exit after the kill.</summary>
    private async Task<string> ExitedReplicaAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var change in fixture.App.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (change.Resource.Name == "apiservice" && change.Snapshot.State?.Text is "Exited" or "Finished" or "FailedToStart")
            {
                return change.ResourceId;
            }
        }

        throw new TimeoutException("no API replica was seen to exit");
    }

    /// <summary>
    /// SIGKILLs one API replica: the processes whose environment names the service <c>apiservice</c> (the
    /// orchestrator's OTEL_SERVICE_NAME), taking one that is not a child of another (a launcher) and its children.
    /// Linux's /proc, like the machines this runs on.
    /// </summary>
    private static void KillOneApiProcess()
    {
        var api = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Contains("OTEL_SERVICE_NAME=apiservice"))
                {
                    var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                    api[pid] = parent;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A process that exited meanwhile.
            }
        }

        var roots = api.Keys.Where(pid => !api.ContainsKey(api[pid])).Order().ToList();
        Assert.True(roots.Count >= 2, $"expected two API replica processes, found {roots.Count}");
        var victim = roots[0];
        foreach (var pid in api.Keys.Where(pid => pid == victim || api[pid] == victim))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
    }
}
