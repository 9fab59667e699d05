using System.Net.WebSockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Api;

[Collection(TwoReplicaAppCollection.Name)]
public sealed class LiveFanOutTests(TwoReplicaAppFixture fixture)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Clients_on_different_replicas_all_hear_every_post_and_are_closed_cleanly_on_shutdown()
    {
        await BothReplicasHealthyAsync();
        var apiBase = fixture.App.GetEndpoint("apiservice", "http");
        var clients = new List<LiveClient>();
        try
        {
            // The endpoint balances connections over the replicas, and takes a replica back a moment after it is
            // healthy again; connect until both have a client.
            await WaitFor.ConditionAsync(async () =>
            {
                clients.Add(await LiveClient.ConnectAsync(apiBase));
                return clients.Select(c => c.Instance).Distinct().Count() == 2;
            }, TimeSpan.FromSeconds(60), "live clients on both replicas");

            Assert.All(clients, c => Assert.False(string.IsNullOrEmpty(c.Instance)));
            var onDifferentReplicas = clients.GroupBy(c => c.Instance).Select(g => g.First()).ToList();
            Assert.Equal(2, onDifferentReplicas.Count);

            // Several writes, so that both replicas handle some of them.
            var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
            for (var i = 0; i < 6; i++)
            {
                var id = (await author.CreatePostAsync($"Fan-out {i}")).GetProperty("id").GetInt64();
                foreach (var client in onDifferentReplicas)
                {
                    await client.WaitForAsync(m => m.GetProperty("type").GetString() == "post.created" && m.GetProperty("postId").GetInt64() == id, EventTimeout);
                }
            }

            using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
            var replicas = new HashSet<string>();
            await foreach (var change in fixture.App.ResourceNotifications.WatchAsync(cts.Token))
            {
                if (change.Resource.Name == "apiservice" && replicas.Add(change.ResourceId) && replicas.Count == 2)
                {
                    break;
                }
            }

            foreach (var replica in replicas)
            {
                var stop = await fixture.App.ResourceCommands.ExecuteCommandAsync(replica, KnownResourceCommands.StopCommand, cts.Token);
                Assert.True(stop.Success, stop.Message);
            }

            foreach (var client in onDifferentReplicas)
            {
                await client.Closed.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>The app reports healthy once one replica is; the fan-out needs both (and an earlier test may have stopped them).</summary>
    private async Task BothReplicasHealthyAsync()
    {
        using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        var started = new HashSet<string>();
        var healthy = new HashSet<string>();
        await foreach (var change in fixture.App.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (change.Resource.Name != "apiservice")
            {
                continue;
            }

            if (change.Snapshot.State?.Text is "Exited" or "Finished" && started.Add(change.ResourceId))
            {
                var start = await fixture.App.ResourceCommands.ExecuteCommandAsync(change.ResourceId, KnownResourceCommands.StartCommand, cts.Token);
                Assert.True(start.Success, start.Message);
            }

            if (change.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
            {
                healthy.Add(change.ResourceId);
            }
            else
            {
                healthy.Remove(change.ResourceId);
            }

            if (healthy.Count == 2)
            {
                return;
            }
        }
    }
}
