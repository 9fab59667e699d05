using System.Net;
using System.Text.Json.Nodes;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Observability;

[Collection(BlogAppCollection.Name)]
public sealed class HealthTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task Api_health_reports_ok_for_database_and_redis()
    {
        using var api = fixture.CreateHttpClient("apiservice");
        using var response = await api.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok","checks":{"database":"ok","redis":"ok"}}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Api_health_degrades_within_5_seconds_without_redis_and_recovers_while_alive_stays_up()
    {
        using var api = fixture.CreateHttpClient("apiservice");
        using var web = fixture.CreateHttpClient("webfrontend");
        var redisAddress = new Uri("redis://" + await fixture.GetConnectionStringAsync("cache"));

        await fixture.StopResourceAsync("cache");
        try
        {
            var stopped = DateTime.UtcNow;
            string body = "";
            await WaitFor.ConditionAsync(async () =>
            {
                using var response = await api.GetAsync("/api/health");
                body = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.ServiceUnavailable;
            }, TimeSpan.FromSeconds(5), "/api/health to report 503");
            Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(5));

            // The whole document: no key more, none less, whichever way the stopped Redis failed.
            var document = JsonNode.Parse(body);
            Assert.True(new[] { "error: unreachable", "error: timeout" }.Any(redis =>
                    JsonNode.DeepEquals(document, JsonNode.Parse($$$"""{"status":"degraded","checks":{"database":"ok","redis":"{{{redis}}}"}}"""))),
                $"unexpected degraded body: {body}");
            Assert.DoesNotContain("Exception", body);
            Assert.DoesNotContain(redisAddress.Port.ToString(), body);
            Assert.DoesNotContain("localhost", body);

            await AssertAliveAsync(api);
            await AssertAliveAsync(web);
        }
        finally
        {
            await fixture.StartResourceAsync("cache");
        }

        var restarted = DateTime.UtcNow;
        await WaitFor.ConditionAsync(async () =>
        {
            using var response = await api.GetAsync("/api/health");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(10), "/api/health to recover");
        await AssertAliveAsync(api);
    }

    private static async Task AssertAliveAsync(HttpClient client)
    {
        using var alive = await client.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
