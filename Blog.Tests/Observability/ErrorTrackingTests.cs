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

        List<JsonElement> events = [];
        await WaitFor.ConditionAsync(() =>
        {
            events = fixture.Telemetry.SentryEnvelopes.SelectMany(ErrorEvents)
                .Where(e => Tag(e, "request_id") == requestId).ToList();
            return Task.FromResult(events.Count > 0);
        }, TimeSpan.FromSeconds(20), "the Sentry event");
        await Task.Yield();

        var sentryEvent = Assert.Single(events);
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
    public async Task Requests_become_sentry_transactions_but_probes_and_scrapes_never_do()
    {
        var marker = $"transaction-{Guid.NewGuid():N}";
        using (var api = fixture.CreateHttpClient("apiservice"))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/posts");
            request.Headers.Add("X-Request-Id", marker);
            await api.SendAsync(request);
            // The AppHost probes /health every few seconds; these make sure some probes happened in this test too.
            await api.GetAsync("/health");
            await api.GetAsync("/alive");
        }

        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.SentryEnvelopes.Any(e => e.Contains(marker) && e.Contains("\"type\":\"transaction\""))),
            TimeSpan.FromSeconds(20), "the transaction of GET /api/posts");
        // Transactions only: an error event raised during a probe (a failing health check) names it as its transaction.
        var transactions = fixture.Telemetry.SentryEnvelopes.Where(e => e.Contains("\"type\":\"transaction\"")).ToList();
        Assert.DoesNotContain(transactions, e => e.Contains("\"transaction\":\"GET /health\"") || e.Contains("\"transaction\":\"GET /alive\""));
    }

    /// <summary>The error events in one envelope (header line, then item header / payload pairs).</summary>
    public static IEnumerable<JsonElement> ErrorEvents(ReceivedPayload envelope)
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

            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("exception", out _) && item.TryGetProperty("event_id", out _))
            {
                yield return item;
            }
        }
    }

    private static string? Tag(JsonElement sentryEvent, string name) =>
        sentryEvent.TryGetProperty("tags", out var tags) && tags.TryGetProperty(name, out var value) ? value.GetString() : null;
}
