using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Ops;

/// <summary>
/// The Prometheus the AppHost runs beside the services (the shared app's, on a free port): what someone running
/// the app sees at http://localhost:9090.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class PrometheusResourceTests(BlogAppFixture fixture) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly PrometheusApi _prometheus = new(fixture.PrometheusUrl);

    [Fact]
    public async Task Prometheus_is_a_resource_of_the_app_with_its_url()
    {
        using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("prometheus", cts.Token);

        Assert.Equal(fixture.PrometheusUrl.Port, fixture.App.GetEndpoint("prometheus", "http").Port);
        Assert.True(await _prometheus.IsReadyAsync());
    }

    [Fact]
    public async Task Prometheus_scrapes_the_api_and_the_web_frontend_with_the_token_and_every_target_is_up()
    {
        JsonElement[] targets = [];
        await WaitFor.ConditionAsync(async () =>
        {
            targets = await ActiveTargetsAsync();
            return targets.Select(t => t.GetProperty("labels").GetProperty("job").GetString()).Distinct().Count() == 2
                && targets.All(t => t.GetProperty("health").GetString() == "up");
        }, Patience, "both Blog jobs to have targets, all up");

        Assert.Equal(["apiservice", "webfrontend"],
            targets.Select(t => t.GetProperty("labels").GetProperty("service").GetString()!).Order().ToArray());
    }

    [Fact]
    public async Task Prometheus_loads_every_rule_of_ops_prometheus()
    {
        var committed = File.ReadAllLines(Path.Combine(Promtool.OpsDirectory, "prometheus", "rules.yml"))
            .Count(line => line.TrimStart().StartsWith("- record:", StringComparison.Ordinal) || line.TrimStart().StartsWith("- alert:", StringComparison.Ordinal));

        JsonElement[] rules = [];
        await WaitFor.ConditionAsync(async () =>
        {
            rules = await RulesAsync();
            // Health is "unknown" until a rule's first evaluation.
            return rules.Length > 0 && rules.All(r => r.GetProperty("health").GetString() == "ok");
        }, Patience, "the rules to be loaded and evaluated");

        Assert.Equal(committed, rules.Length);
    }

    [Fact]
    public async Task Request_metrics_are_queryable_by_endpoint()
    {
        using var api = fixture.CreateHttpClient("apiservice");
        (await api.GetAsync("/api/posts")).EnsureSuccessStatusCode();

        IReadOnlyList<PrometheusApi.Sample> samples = [];
        await WaitFor.ConditionAsync(async () =>
        {
            samples = await _prometheus.QueryAsync("""sum by (service, endpoint) (http_requests_total{endpoint="/api/posts", status_code="200"})""");
            return samples.Count > 0;
        }, Patience, "GET /api/posts to be counted in Prometheus");

        Assert.Equal("apiservice", Assert.Single(samples).Labels["service"]);
        Assert.True(samples[0].Value >= 1);
    }

    [Fact]
    public async Task The_health_gauge_reports_each_api_dependency_healthy()
    {
        IReadOnlyList<PrometheusApi.Sample> samples = [];
        await WaitFor.ConditionAsync(async () =>
        {
            samples = await _prometheus.QueryAsync("""health_check_status{service="apiservice"} == 1""");
            return samples.Select(s => s.Labels["check"]).Distinct().Count() == 2;
        }, Patience, "health_check_status to show database and redis healthy");

        Assert.Equal(["database", "redis"], samples.Select(s => s.Labels["check"]).Distinct().Order().ToArray());
    }

    /// <summary>
    /// The page alert is the production rule as committed: multi-window burn-rate alerts need no <c>for:</c> (the
    /// 5-minute window already says the burn is current), so a burst fires it within a few evaluations.
    /// </summary>
    [Fact]
    public async Task A_burst_of_5xx_from_the_fault_endpoint_fires_the_availability_page()
    {
        using var api = fixture.CreateHttpClient("apiservice");
        // rate() counts only what a series gains after Prometheus first sees it, so the 5xx series must exist
        // (one error, scraped) before the burst, as it would in production after the first failure.
        await FaultAsync(api);
        await WaitFor.ConditionAsync(async () => (await _prometheus.QueryAsync(
                """http_requests_total{service="apiservice", endpoint="/api/diagnostics/fault", status_code="500"}""")).Count > 0,
            Patience, "Prometheus to scrape the first 5xx");

        // 100 errors: far above 1.44% of the shared app's traffic in the last hour, and bounded.
        for (var i = 0; i < 100; i++)
        {
            await FaultAsync(api);
        }

        JsonElement alert = default;
        await WaitFor.ConditionAsync(async () =>
        {
            var alerts = (await _prometheus.GetDataAsync("/api/v1/alerts")).GetProperty("alerts").EnumerateArray();
            alert = alerts.FirstOrDefault(a =>
                a.GetProperty("labels").GetProperty("alertname").GetString() == "BlogAvailabilityFastBurn"
                && a.GetProperty("labels").GetProperty("service").GetString() == "apiservice"
                && a.GetProperty("state").GetString() == "firing");
            return alert.ValueKind == JsonValueKind.Object;
        }, Patience, "BlogAvailabilityFastBurn to fire for apiservice");

        Assert.Equal("page", alert.GetProperty("labels").GetProperty("severity").GetString());
        Assert.Contains("of requests failed with 5xx", alert.GetProperty("annotations").GetProperty("summary").GetString());
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_scrape_token_is_in_a_private_file_and_never_on_the_command_line()
    {
        using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("prometheus", cts.Token);
        var directory = Path.Combine(fixture.DataDirectory, "prometheus");
        var tokenFile = Path.Combine(directory, "scrape-token");

        Assert.Equal(BlogAppFixture.MetricsScrapeToken, await File.ReadAllTextAsync(tokenFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        var flags = (await _prometheus.GetDataAsync("/api/v1/status/flags")).GetRawText();
        Assert.DoesNotContain(BlogAppFixture.MetricsScrapeToken, flags);
        Assert.DoesNotContain(BlogAppFixture.MetricsScrapeToken, await File.ReadAllTextAsync(Path.Combine(directory, "prometheus.yml")));

        var check = await Promtool.RunAsync(directory, "check", "config", "prometheus.yml");
        Assert.True(check.ExitCode == 0, check.Output);
    }

    private static async Task FaultAsync(HttpClient api)
    {
        using var response = await api.GetAsync("/api/diagnostics/fault");
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
    }

    private async Task<JsonElement[]> ActiveTargetsAsync()
    {
        if (!await _prometheus.IsReadyAsync())
        {
            return [];
        }

        return [.. (await _prometheus.GetDataAsync("/api/v1/targets?state=active")).GetProperty("activeTargets").EnumerateArray()
            .Where(t => t.GetProperty("labels").GetProperty("job").GetString()!.StartsWith("blog-", StringComparison.Ordinal))];
    }

    private async Task<JsonElement[]> RulesAsync()
    {
        if (!await _prometheus.IsReadyAsync())
        {
            return [];
        }

        return [.. (await _prometheus.GetDataAsync("/api/v1/rules")).GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())];
    }

    public void Dispose() => _prometheus.Dispose();
}
