using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Observability;

[Collection(BlogAppCollection.Name)]
public sealed partial class MetricsTests(BlogAppFixture fixture)
{
    private async Task<string> ScrapeAsync(string resource = "apiservice")
    {
        using var client = fixture.CreateHttpClient(resource);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BlogAppFixture.MetricsScrapeToken);
        using var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    [InlineData("test-scrape-token-0123456789abcdeX")]
    public async Task Metrics_endpoint_rejects_requests_without_the_scrape_token(string? token)
    {
        using var client = fixture.CreateHttpClient("apiservice");
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.DoesNotContain("http_requests_total", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("apiservice")]
    [InlineData("webfrontend")]
    public async Task Metrics_endpoint_serves_the_exposition_format_with_the_token(string resource)
    {
        using var client = fixture.CreateHttpClient(resource);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BlogAppFixture.MetricsScrapeToken);
        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE http_requests_total counter", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("apiservice")]
    [InlineData("webfrontend")]
    public async Task The_scrape_passes_promtool_check_metrics(string resource)
    {
        // Traffic first, so every meter (HTTP server and client, database, cache) has series to lint.
        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        await author.CreatePostAsync();
        using (var web = fixture.CreateHttpClient("webfrontend"))
        {
            await web.GetAsync("/");
        }

        var scrape = await ScrapeAsync(resource);
        var start = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var promtool = Process.Start(start)!;
        await promtool.StandardInput.WriteAsync(scrape);
        promtool.StandardInput.Close();
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();

        Assert.True(promtool.ExitCode == 0 && output.Trim().Length == 0, $"promtool exit {promtool.ExitCode}: {output}");
    }

    [Fact]
    public async Task The_request_metrics_are_there_with_their_labels_and_buckets()
    {
        using (var api = fixture.CreateHttpClient("apiservice"))
        {
            await api.GetAsync($"/api/posts/{long.MaxValue}");
        }

        var scrape = await ScrapeAsync();
        Assert.Contains("# TYPE http_requests_total counter", scrape);
        Assert.Contains("# TYPE http_request_duration_seconds histogram", scrape);
        Assert.Contains("# TYPE websocket_active_connections gauge", scrape);
        Assert.Matches(@"(?m)^http_requests_total\{endpoint=""/api/posts/\{id\}"",method=""GET"",status_code=""404""\} \d+", scrape);

        var buckets = Regex.Matches(scrape, @"(?m)^http_request_duration_seconds_bucket\{endpoint=""/api/posts/\{id\}"",le=""([^""]+)""\}")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"], buckets);

        // The gauge is the API's: the web frontend accepts no WebSockets of its own to count.
        Assert.DoesNotContain("websocket_active_connections", await ScrapeAsync("webfrontend"));
    }

    [Fact]
    public async Task The_same_instruments_reach_the_dashboard_over_otlp()
    {
        using (var api = fixture.CreateHttpClient("apiservice"))
        {
            await api.GetAsync("/api/posts");
        }

        // Instruments defined once: the OTLP export carries the request instruments under their OpenTelemetry names.
        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.Otlp.Any(p => p.Path == "/v1/metrics"
                && p.Contains("http_request_duration") && p.Contains("http_requests") && p.Contains("websocket_active_connections"))),
            TimeSpan.FromSeconds(20), "the request metrics over OTLP");
    }

    [Fact]
    public async Task The_runtime_kestrel_httpclient_and_database_meters_are_exported_beside_the_one_request_meter()
    {
        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        await author.CreatePostAsync();
        using (var web = fixture.CreateHttpClient("webfrontend"))
        {
            await web.GetAsync("/");
        }

        var api = await ScrapeAsync();
        Assert.Contains("dotnet_gc_collections_total", api);
        Assert.Contains("kestrel_active_connections", api);
        // One HTTP request meter is the contract (http_requests_total); ASP.NET Core's would count the same requests again.
        Assert.DoesNotContain("http_server_request_duration_seconds", api);
        Assert.Matches("(?m)^db_client_", api);
        var webScrape = await ScrapeAsync("webfrontend");
        Assert.Contains("http_client_request_duration_seconds", webScrape);
    }

    [Fact]
    public async Task Requests_to_300_distinct_missing_posts_add_at_most_one_series()
    {
        using var api = fixture.CreateHttpClient("apiservice");
        await ScrapeAsync(); // the first scrape of the run creates the /metrics series itself
        var before = Series(await ScrapeAsync());
        var random = new Random(42);
        for (var i = 0; i < 300; i++)
        {
            using var missingPost = await api.GetAsync($"/api/posts/{random.NextInt64(1_000_000_000, long.MaxValue)}");
            Assert.Equal(HttpStatusCode.NotFound, missingPost.StatusCode);
        }

        // The web frontend may call other routes meanwhile; these requests can only add series labelled with their
        // route template, "unmatched", or (the bug this guards against) their raw path.
        var added = Series(await ScrapeAsync()).Except(before)
            .Where(s => s.Contains("endpoint=\"/api/posts/{id}\"") || s.Contains("endpoint=\"unmatched\"") || RawId().IsMatch(s))
            .ToList();
        Assert.True(added.Count <= 1, string.Join("\n", added));
        Assert.DoesNotContain(added, s => RawId().IsMatch(s));
    }

    [Fact]
    public async Task Urls_that_match_no_route_share_one_endpoint_label()
    {
        using var api = fixture.CreateHttpClient("apiservice");
        await ScrapeAsync(); // the first scrape of the run creates the /metrics series itself
        var before = Series(await ScrapeAsync());
        for (var i = 0; i < 100; i++)
        {
            using var noRoute = await api.GetAsync($"/no/such/route/{Guid.NewGuid():N}");
            Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        }

        var after = Series(await ScrapeAsync());
        var added = after.Except(before).ToList();
        Assert.True(added.Count <= 1, string.Join("\n", added));
        Assert.DoesNotContain(after, series => series.Contains("/no/such", StringComparison.Ordinal));
        Assert.Contains(after, series => series.Contains("endpoint=\"unmatched\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_websocket_gauge_rises_while_a_client_is_connected_and_falls_after()
    {
        var before = Gauge(await ScrapeAsync());
        var live = await LiveClient.ConnectAsync(fixture.App.GetEndpoint("apiservice", "http"));
        try
        {
            await WaitFor.ConditionAsync(async () => Gauge(await ScrapeAsync()) == before + 1, TimeSpan.FromSeconds(10), "the gauge to count the client");
        }
        finally
        {
            await live.DisposeAsync();
        }

        await WaitFor.ConditionAsync(async () => Gauge(await ScrapeAsync()) == before, TimeSpan.FromSeconds(10), "the gauge to fall back");
    }

    [GeneratedRegex(@"endpoint=""[^""]*/\d{5,}")]
    private static partial Regex RawId();

    private static HashSet<string> Series(string scrape) =>
        Regex.Matches(scrape, @"(?m)^(http_requests_total\{[^}]*\})").Select(m => m.Groups[1].Value).ToHashSet();

    private static double Gauge(string scrape)
    {
        var match = Regex.Match(scrape, @"(?m)^websocket_active_connections(?:\{[^}]*\})? ([0-9.eE+-]+)");
        Assert.True(match.Success, "websocket_active_connections is missing from the scrape");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
