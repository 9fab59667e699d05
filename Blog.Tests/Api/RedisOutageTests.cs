using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Blog.Tests.Infrastructure;
using Blog.Tests.Observability;
using StackExchange.Redis;

namespace Blog.Tests.Api;

/// <summary>
/// Stops the shared app's Redis and starts it again. Tests in one collection run one at a time,
/// so no other test sees the outage; the finally block brings Redis back whatever happens.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RedisOutageTests(BlogAppFixture fixture)
{
    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    [Fact]
    public async Task Reads_and_writes_keep_working_from_postgres_while_redis_is_down_and_caching_resumes_after()
    {
        var author = await ApiUser.RegisterAsync(Api);
        var before = await author.CreatePostAsync("Written before the outage");

        var outputBefore = fixture.ApiOutput.Count;
        await fixture.StopResourceAsync("cache");
        try
        {
            using var list = await author.Client.GetAsync("/api/posts");
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            using var single = await author.Client.GetAsync($"/api/posts/{before.GetProperty("id").GetInt64()}");
            Assert.Equal(HttpStatusCode.OK, single.StatusCode);

            for (var i = 0; i < 8; i++)
            {
                using var created = await author.Client.PostAsJsonAsync("/api/posts", new { title = $"Written during the outage {i}", body = "b" });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var duringId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
                var during = await author.Client.GetFromJsonAsync<JsonElement>($"/api/posts/{duringId}");
                Assert.Equal($"Written during the outage {i}", during.GetProperty("title").GetString());
                using var page = await author.Client.GetAsync($"/api/posts?page={i + 2}");
                Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            }

            // The outage is a few lines, not an error (and a Sentry event) or a warning per request: 26 requests
            // above each missed Redis at least once.
            var outage = fixture.ApiOutput.Skip(outputBefore).Select(BlogAppFixture.ProcessText)
                .Where(line => line.StartsWith('{')).Select(LogLines.Parse).ToList();
            var errors = outage.Where(l => l.Get("level") is "error" or "critical").Select(l => l.Get("event")).ToList();
            var warnings = outage.Where(l => l.Get("level") == "warning").Select(l => l.Get("event")).ToList();
            Assert.True(errors.Count <= 3, $"errors during a Redis outage: {string.Join(", ", errors)}");
            Assert.True(warnings.Count <= 6, $"warnings during a Redis outage: {string.Join(", ", warnings)}");
            Assert.DoesNotContain(errors, e => e is "CacheBackendReadFailure" or "CacheBackendWriteFailure");
        }
        finally
        {
            await fixture.StartResourceAsync("cache");
        }

        // Caching resumes once the client has reconnected and the circuit has closed again (its break lasts
        // FailSoftDistributedCache.BreakDuration). Until then a read keeps its result in process only, for the local
        // expiration of 30 s, so each poll reads a list page no earlier poll has read: one that can only come from
        // PostgreSQL and be stored in Redis if Redis is in use again.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await fixture.GetConnectionStringAsync("cache"));
        var probePage = 1000;
        await WaitFor.ConditionAsync(async () =>
        {
            var page = ++probePage;
            using var read = await author.Client.GetAsync($"/api/posts?page={page}&pageSize=3");
            return read.StatusCode == HttpStatusCode.OK && await redis.GetDatabase().KeyExistsAsync($"posts:page:{page}:3");
        }, TimeSpan.FromSeconds(30), "a list page to be cached in Redis again");

        // And a post written after the outage is cached on its first read.
        var after = await author.CreatePostAsync("Written after the outage");
        var afterId = after.GetProperty("id").GetInt64();
        using (var read = await author.Client.GetAsync($"/api/posts/{afterId}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        await WaitFor.ConditionAsync(() => redis.GetDatabase().KeyExistsAsync($"post:{afterId}"),
            TimeSpan.FromSeconds(5), "the post read after the outage to be in Redis");
    }
}
