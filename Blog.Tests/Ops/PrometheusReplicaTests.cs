using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Ops;

/// <summary>With Blog:ApiReplicas=2, Prometheus scrapes each replica on its own port, not the proxy in front of them.</summary>
[Collection(TwoReplicaAppCollection.Name)]
public sealed class PrometheusReplicaTests(TwoReplicaAppFixture fixture) : IDisposable
{
    private readonly PrometheusApi _prometheus = new(fixture.PrometheusUrl);

    [Fact]
    public async Task Prometheus_scrapes_every_api_replica_and_each_is_up()
    {
        await StartStoppedReplicasAsync();
        JsonElement[] api = [];
        await WaitFor.ConditionAsync(async () =>
        {
            if (!await _prometheus.IsReadyAsync())
            {
                return false;
            }

            api = [.. (await _prometheus.GetDataAsync("/api/v1/targets?state=active")).GetProperty("activeTargets").EnumerateArray()
                .Where(t => t.GetProperty("labels").GetProperty("job").GetString() == "blog-api")];
            return api.Length == 2 && api.All(t => t.GetProperty("health").GetString() == "up");
        }, TimeSpan.FromSeconds(60), "two blog-api targets, both up");

        Assert.Equal(2, api.Select(t => t.GetProperty("labels").GetProperty("instance").GetString()).Distinct().Count());
        Assert.Equal(2, api.Select(t => t.GetProperty("labels").GetProperty("replica").GetString()).Distinct().Count());
        var proxy = fixture.App.GetEndpoint("apiservice", "http");
        Assert.DoesNotContain(api, t => t.GetProperty("labels").GetProperty("instance").GetString()!.EndsWith($":{proxy.Port}", StringComparison.Ordinal));
    }

    /// <summary>An earlier test of the collection stops both replicas to watch the live feed close; start them again.</summary>
    private async Task StartStoppedReplicasAsync()
    {
        using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        var states = new Dictionary<string, string?>();
        await foreach (var change in fixture.App.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (change.Resource.Name == "apiservice" && states.TryAdd(change.ResourceId, change.Snapshot.State?.Text) && states.Count == 2)
            {
                break;
            }
        }

        foreach (var (replica, state) in states.Where(s => s.Value != KnownResourceStates.Running))
        {
            var start = await fixture.App.ResourceCommands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand, cts.Token);
            Assert.True(start.Success, $"starting {replica} ({state}): {start.Message}");
        }
    }

    public void Dispose() => _prometheus.Dispose();
}
