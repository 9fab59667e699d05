using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Observability;

[Collection(BlogAppCollection.Name)]
public sealed class ErrorTrackingTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task An_unhandled_exception_becomes_one_sentry_event_with_request_id_route_and_no_pii()
    {
        var user = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/diagnostics/fault");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        request.Headers.Add("Cookie", "session=secret-cookie-value");
        using var response = await user.Client.SendAsync(request);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.DoesNotContain("Deliberate fault", problem.GetRawText());
        var requestId = Assert.Single(response.Headers.GetValues("X-Request-Id"));

        await WaitFor.ConditionAsync(() => Task.FromResult(EventsTagged(requestId).Count > 0), TimeSpan.FromSeconds(20), "the Sentry event");

        // A duplicate would be sent right after the first event; a later fault's event arriving proves the
        // queue moved past that point before the first request's events are counted.
        var laterId = $"later-fault-{Guid.NewGuid():N}";
        using (var anonymous = fixture.CreateHttpClient("apiservice"))
        {
            using var later = new HttpRequestMessage(HttpMethod.Get, "/api/diagnostics/fault");
            later.Headers.Add("X-Request-Id", laterId);
            using var laterResponse = await anonymous.SendAsync(later);
            Assert.Equal(HttpStatusCode.InternalServerError, laterResponse.StatusCode);
        }

        await WaitFor.ConditionAsync(() => Task.FromResult(EventsTagged(laterId).Count > 0), TimeSpan.FromSeconds(20), "the later fault's Sentry event");

        var sentryEvent = Assert.Single(EventsTagged(requestId));
        var exception = sentryEvent.GetProperty("exception").GetProperty("values").EnumerateArray().Last();
        Assert.Equal("System.InvalidOperationException", exception.GetProperty("type").GetString());
        Assert.Equal("development", sentryEvent.GetProperty("environment").GetString());
        Assert.Equal("/api/diagnostics/fault", Tag(sentryEvent, "route"));
        Assert.Equal(user.Id.ToString(), sentryEvent.GetProperty("user").GetProperty("id").GetString());

        var raw = sentryEvent.GetRawText();
        Assert.DoesNotContain(user.Email, raw, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(user.Token, raw);
        Assert.DoesNotContain("secret-cookie-value", raw);
        Assert.DoesNotContain("\"Authorization\"", raw, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Requests_become_sentry_transactions_named_by_route_but_probes_and_scrapes_never_do()
    {
        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        var postId = (await author.CreatePostAsync()).GetProperty("id").GetInt64();
        using var api = fixture.CreateHttpClient("apiservice");

        // A real transaction first: this shows what a transaction's name looks like, so the absence below means something.
        var first = await GetWithRequestIdAsync(api, $"/api/posts/{postId}");
        var read = await WaitForTransactionAsync(first);
        Assert.Equal("GET /api/posts/{id}", read.GetProperty("transaction").GetString());
        Assert.Equal($"/api/posts/{postId}", new Uri(read.GetProperty("request").GetProperty("url").GetString()!).AbsolutePath);

        // The AppHost probes /health every few seconds; these make sure a probe of each kind happened after it.
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/alive")).StatusCode);
        using (var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            scrape.Headers.Authorization = new AuthenticationHeaderValue("Bearer", BlogAppFixture.MetricsScrapeToken);
            Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(scrape)).StatusCode);
        }

        // Transactions go out in order: once a request made after the probes has its transaction, theirs would have arrived.
        var last = await GetWithRequestIdAsync(api, "/api/posts");
        Assert.Equal("GET /api/posts", (await WaitForTransactionAsync(last)).GetProperty("transaction").GetString());

        // Transactions only: an error event raised during a probe (a failing health check) names it as its transaction.
        var transactions = fixture.Telemetry.SentryEnvelopes.SelectMany(Transactions).ToList();
        Assert.All(transactions, t =>
        {
            var name = t.GetProperty("transaction").GetString()!;
            var path = t.TryGetProperty("request", out var request) && request.TryGetProperty("url", out var url)
                ? new Uri(url.GetString()!).AbsolutePath
                : "";
            foreach (var probe in new[] { "/health", "/alive", "/metrics" })
            {
                Assert.False(name.EndsWith(" " + probe, StringComparison.Ordinal) || path.StartsWith(probe, StringComparison.Ordinal),
                    $"a transaction for a probe or scrape: {name} ({path})");
            }
        });
    }

    private static async Task<string> GetWithRequestIdAsync(HttpClient api, string path)
    {
        var requestId = $"transaction-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await api.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return requestId;
    }

    /// <summary>The transaction of the request that carried <paramref name="requestId"/> (Sentry keeps its request headers).</summary>
    private async Task<JsonElement> WaitForTransactionAsync(string requestId)
    {
        JsonElement? found = null;
        await WaitFor.ConditionAsync(() =>
        {
            found = fixture.Telemetry.SentryEnvelopes.Where(e => e.Contains(requestId)).SelectMany(Transactions)
                .Cast<JsonElement?>().FirstOrDefault(t => t!.Value.GetRawText().Contains(requestId, StringComparison.Ordinal));
            return Task.FromResult(found is not null);
        }, TimeSpan.FromSeconds(20), $"the transaction of request {requestId}");
        return found!.Value;
    }

    private List<JsonElement> EventsTagged(string requestId) =>
        fixture.Telemetry.SentryEnvelopes.SelectMany(ErrorEvents).Where(e => Tag(e, "request_id") == requestId).ToList();

    /// <summary>The transactions in one envelope.</summary>
    public static IEnumerable<JsonElement> Transactions(ReceivedPayload envelope) =>
        Items(envelope).Where(item => item.TryGetProperty("type", out var type) && type.ValueEquals("transaction")
            && item.TryGetProperty("event_id", out _) && item.TryGetProperty("transaction", out _));

    /// <summary>The error events in one envelope (header line, then item header / payload pairs).</summary>
    public static IEnumerable<JsonElement> ErrorEvents(ReceivedPayload envelope) =>
        Items(envelope).Where(item => item.TryGetProperty("exception", out _) && item.TryGetProperty("event_id", out _));

    /// <summary>Every JSON object line of an envelope: its header, item headers and JSON payloads.</summary>
    private static IEnumerable<JsonElement> Items(ReceivedPayload envelope)
    {
        foreach (var line in envelope.Text.Split('\n'))
        {
            JsonElement item;
            try
            {
                item = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }

            if (item.ValueKind == JsonValueKind.Object)
            {
                yield return item;
            }
        }
    }

    public static string? Tag(JsonElement sentryEvent, string name) =>
        sentryEvent.TryGetProperty("tags", out var tags) && tags.TryGetProperty(name, out var value) ? value.GetString() : null;
}
