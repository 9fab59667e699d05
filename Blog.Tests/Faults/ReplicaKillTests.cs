using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Faults;

/// <summary>
/// One of two API replicas dies with SIGKILL (no shutdown, no close frames) under write load. The killed
/// replica is started again afterwards so the collection's other tests find two.
/// </summary>
[Collection(TwoReplicaAppCollection.Name)]
public sealed class ReplicaKillTests(TwoReplicaAppFixture fixture)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Killing_one_of_two_replicas_under_load_loses_no_acknowledged_write_and_live_clients_reconnect_to_the_other()
    {
        var replicas = await RunningReplicasAsync();
        var apiBase = fixture.App.GetEndpoint("apiservice", "http");
        var clients = new List<LiveClient>();
        MixedLoad? load = null;
        var victim = replicas[0];
        try
        {
            for (var attempt = 0; attempt < 20 && clients.Select(c => c.Instance).Distinct().Count() < 2; attempt++)
            {
                clients.Add(await LiveClient.ConnectAsync(apiBase));
            }

            Assert.Equal(2, clients.Select(c => c.Instance).Distinct().Count());
            load = await MixedLoad.StartAsync(() => fixture.CreateHttpClient("apiservice"), writers: 4, readers: 2);
            await WaitFor.ConditionAsync(() => Task.FromResult(load.AcknowledgedPostIds.Count >= 10), TimeSpan.FromSeconds(20), "writes before the kill");

            foreach (var pid in ProcessesOf(victim.ResourceId))
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }

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

            // Reconnecting lands on the survivor (a connection attempt the proxy sends to the dead one fails fast),
            // and the reconnected client hears new posts.
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
            // The load is still writing: the reconnected client hears its posts.
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

            await RestartAsync(victim.ResourceId);
        }

        var outcomes = load.Outcomes.ToList();
        var unanswered = outcomes.Count(o => !o.Answered);
        var serverErrors = outcomes.Where(o => o.Status >= 500 && o.Status != 503).ToList();
        Assert.True(serverErrors.Count == 0, $"{outcomes.Count} requests, {unanswered} unanswered; server errors:\n{string.Join("\n", serverErrors.Take(10))}");
        await load.AssertNothingLostOrDuplicatedAsync(await fixture.GetConnectionStringAsync("blogdb"));
    }

    private sealed record Replica(string ResourceId);

    /// <summary>Both replicas, running (an earlier test of the collection may have stopped them).</summary>
    private async Task<IReadOnlyList<Replica>> RunningReplicasAsync()
    {
        using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        var seen = new Dictionary<string, CustomResourceSnapshot>();
        await foreach (var change in fixture.App.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (change.Resource.Name == "apiservice")
            {
                seen[change.ResourceId] = change.Snapshot;
                if (seen.Count == 2)
                {
                    break;
                }
            }
        }

        foreach (var id in seen.Keys)
        {
            await RestartAsync(id);
        }

        return [.. seen.Keys.Select(id => new Replica(id))];
    }

    /// <summary>
    /// The replica's processes, found by the instance id the orchestrator puts in each replica's environment
    /// (<c>service.instance.id</c> in <c>OTEL_RESOURCE_ATTRIBUTES</c>): Linux's /proc, like the machines this runs on.
    /// </summary>
    private static List<int> ProcessesOf(string resourceId)
    {
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Any(v => IsInstance(v, resourceId)))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A process that exited meanwhile.
            }
        }

        Assert.True(pids.Count > 0, $"no process found for {resourceId}");
        return pids;
    }

    /// <summary>Makes sure a replica runs: waits for a stopped or killed one to be seen exited, then starts it.</summary>
    private async Task RestartAsync(string resourceId)
    {
        using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        var current = await fixture.App.ResourceNotifications.WaitForResourceAsync(resourceId,
            e => e.Snapshot.State?.Text is "Exited" or "Finished" or "FailedToStart"
                 || (e.Snapshot.State?.Text == KnownResourceStates.Running && ProcessesAlive(resourceId)), cts.Token);
        if (current.Snapshot.State?.Text == KnownResourceStates.Running)
        {
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resourceId, cts.Token);
            return;
        }

        var start = await fixture.App.ResourceCommands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, cts.Token);
        Assert.True(start.Success, start.Message);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resourceId, cts.Token);
    }

    /// <summary>The orchestrator names the instance by the replica's resource id or by its suffix.</summary>
    private static bool IsInstance(string environmentEntry, string resourceId)
    {
        const string prefix = "OTEL_RESOURCE_ATTRIBUTES=";
        if (!environmentEntry.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return environmentEntry[prefix.Length..].Split(',').Select(a => a.Split('=', 2)).Any(kv =>
            kv is ["service.instance.id", var id] && id.Length > 0 && (id == resourceId || resourceId.EndsWith("-" + id, StringComparison.Ordinal)));
    }

    private static bool ProcessesAlive(string resourceId)
    {
        try
        {
            return ProcessesOf(resourceId).Count > 0;
        }
        catch (Xunit.Sdk.XunitException)
        {
            return false;
        }
    }
}
