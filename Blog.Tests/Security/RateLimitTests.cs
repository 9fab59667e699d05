using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Blog.Tests.Observability;

namespace Blog.Tests.Security;

/// <summary>
/// The API's limits on writes, in the test app's short window (<see cref="BlogAppFixture.RateLimitWindow"/>).
/// Each test speaks for a client address of its own through X-Forwarded-For (the test app trusts the tests as a
/// proxy), so nothing else in the suite shares its counters.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RateLimitTests(BlogAppFixture fixture)
{
    public static TheoryData<string> Limits => ["registrations", "posts", "anonymous posts", "comments"];

    [Theory]
    [MemberData(nameof(Limits))]
    public async Task A_write_limit_answers_429_problem_details_with_Retry_After_logs_once_counts_in_metrics_and_resets(string limit)
    {
        var write = await WriteAsync(limit);
        var before = await RequestCountAsync(write.Endpoint, "429");

        // Spend the window's permits with invalid requests: they cost the server little and count all the same.
        foreach (var chunk in Enumerable.Range(0, BlogAppFixture.RateLimitPermits).Chunk(10))
        {
            var answers = await Task.WhenAll(chunk.Select(_ => write.SendAsync(valid: false)));
            Assert.All(answers, answer => Assert.Equal(write.SpentStatus, answer.StatusCode));
            foreach (var answer in answers)
            {
                answer.Dispose();
            }
        }

        var rejectedIds = new List<string>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var rejected = await write.SendAsync(valid: true);
            var problem = await ProblemAssert.IsProblemAsync(rejected, HttpStatusCode.TooManyRequests);
            Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
            var retryAfter = rejected.Headers.RetryAfter?.Delta;
            Assert.NotNull(retryAfter);
            Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), BlogAppFixture.RateLimitWindow);
            rejectedIds.Add(problem.GetProperty("requestId").GetString()!);
        }

        // http_requests_total counts every rejection with status 429 (recorded as each response completes).
        await WaitFor.ConditionAsync(async () => await RequestCountAsync(write.Endpoint, "429") >= before + 3,
            TimeSpan.FromSeconds(10), $"three more 429s on {write.Endpoint} in http_requests_total");
        Assert.Equal(before + 3, await RequestCountAsync(write.Endpoint, "429"));

        // The window ends and the same client may write again.
        await WaitFor.ConditionAsync(async () =>
        {
            using var again = await write.SendAsync(valid: true);
            if (again.StatusCode == HttpStatusCode.TooManyRequests)
            {
                rejectedIds.Add(again.Headers.GetValues("X-Request-Id").Single());
                return false;
            }

            Assert.Equal(write.AcceptedStatus, again.StatusCode);
            return true;
        }, BlogAppFixture.RateLimitWindow * 3, $"{limit} to be accepted again after the window");

        // One warning for the client and window, however many requests it sent into the closed window.
        await fixture.WaitForApiOutputAsync(line => line.Contains(rejectedIds[^1], StringComparison.Ordinal)
            && line.Contains("\"http.request\"", StringComparison.Ordinal), "the access log of the last rejected request");
        var warnings = fixture.ApiOutput.Select(BlogAppFixture.ProcessText)
            .Where(line => line.StartsWith('{') && line.Contains("rate_limit.rejected", StringComparison.Ordinal))
            .Select(LogLines.Parse)
            .Where(line => line.Get("event") == "rate_limit.rejected" && rejectedIds.Contains(line.Get("request_id")!))
            .ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal(rejectedIds[0], warning.Get("request_id"));
        Assert.Equal("warning", warning.Get("level"));
        Assert.Equal(write.Policy, warning.Get("policy"));
        if (write.UserId is { } userId)
        {
            Assert.Equal("account", warning.Get("client_kind"));
            Assert.Equal(userId.ToString(CultureInfo.InvariantCulture), warning.Get("user_id"));
        }
        else
        {
            // The address is personal data: only its keyed hash reaches the log.
            Assert.Equal("address", warning.Get("client_kind"));
            Assert.False(string.IsNullOrEmpty(warning.Get("client_address")));
            Assert.DoesNotContain(write.Address, warning.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Reads_are_never_limited_per_address()
    {
        using var client = fixture.CreateHttpClient("apiservice");
        var address = NewAddress();
        for (var read = 0; read < BlogAppFixture.RateLimitPermits + 20; read++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/posts?page=1");
            request.Headers.Add("X-Forwarded-For", address);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_forwarded_address_counts_only_its_own_registrations()
    {
        var spent = await WriteAsync("registrations");
        foreach (var chunk in Enumerable.Range(0, BlogAppFixture.RateLimitPermits + 1).Chunk(10))
        {
            foreach (var answer in await Task.WhenAll(chunk.Select(_ => spent.SendAsync(valid: false))))
            {
                answer.Dispose();
            }
        }

        using var refused = await spent.SendAsync(valid: true);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);

        // Another client, a moment later and inside the same window, registers as usual.
        var other = await WriteAsync("registrations");
        using var accepted = await other.SendAsync(valid: true);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
    }

    private async Task<Write> WriteAsync(string limit)
    {
        var client = fixture.CreateHttpClient("apiservice");
        var address = NewAddress();
        switch (limit)
        {
            case "registrations":
                return new Write(client, address, "registrations", "/api/users", null, HttpStatusCode.BadRequest, HttpStatusCode.Created,
                    valid => valid
                        ? new { email = $"limit-{Guid.NewGuid():N}@example.test", displayName = "Limited", password = $"pw-{Guid.NewGuid():N}" }
                        : new { email = "not an email", displayName = "", password = "short" });
            case "posts":
            {
                var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
                return new Write(author.Client, address, "posts", "/api/posts", author.Id, HttpStatusCode.BadRequest, HttpStatusCode.Created,
                    valid => new { title = valid ? $"Post {Guid.NewGuid():N}" : "", body = valid ? "Within the limits." : "" });
            }
            case "anonymous posts":
                // Without a token every attempt is refused (401), and still counted for the client address.
                return new Write(client, address, "posts", "/api/posts", null, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized,
                    _ => new { title = "Anonymous", body = "No token." });
            case "comments":
            {
                var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
                var postId = (await author.CreatePostAsync()).GetProperty("id").GetInt64();
                var commenter = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
                return new Write(commenter.Client, address, "comments", "/api/posts/{postId}/comments", commenter.Id,
                    HttpStatusCode.BadRequest, HttpStatusCode.Created, valid => new { body = valid ? "A fair point." : "" },
                    $"/api/posts/{postId}/comments");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(limit), limit, null);
        }
    }

    /// <summary>A client address of the documentation range (TEST-NET-3) that no other test uses.</summary>
    private static string NewAddress() =>
        $"203.0.113.{Interlocked.Increment(ref _nextAddress) % 250 + 1}";

    private static int _nextAddress = Random.Shared.Next(250);

    private async Task<double> RequestCountAsync(string endpoint, string status)
    {
        using var client = fixture.CreateHttpClient("apiservice");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BlogAppFixture.MetricsScrapeToken);
        var scrape = await client.GetStringAsync("/metrics");
        var series = $"http_requests_total{{endpoint=\"{endpoint}\",method=\"POST\",status_code=\"{status}\"}} ";
        var line = scrape.Split('\n').FirstOrDefault(l => l.StartsWith(series, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[series.Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>One kind of write, sent for one client address.</summary>
    private sealed record Write(HttpClient Client, string Address, string Policy, string Endpoint, long? UserId,
        HttpStatusCode SpentStatus, HttpStatusCode AcceptedStatus, Func<bool, object> Body, string? Path = null)
    {
        public Task<HttpResponseMessage> SendAsync(bool valid)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, Path ?? Endpoint) { Content = JsonContent.Create(Body(valid)) };
            request.Headers.Add("X-Forwarded-For", Address);
            return Client.SendAsync(request);
        }
    }
}
