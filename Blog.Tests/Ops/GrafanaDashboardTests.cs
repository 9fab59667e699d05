using System.Text.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Ops;

/// <summary>
/// ops/grafana/dashboards/blog.json, whose every panel query is run against the shared app's live Prometheus:
/// Grafana does not run here, but a query that Prometheus rejects or that finds no series would be a blank panel.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class GrafanaDashboardTests(BlogAppFixture fixture) : IDisposable
{
    /// <summary>Grafana's built-in variables, as Grafana would fill them for a 1-hour view at a 5 s scrape interval.</summary>
    private static readonly Dictionary<string, string> Variables = new()
    {
        ["$__rate_interval"] = "1m",
        ["$__interval"] = "15s",
        ["$__range"] = "1h",
    };

    private readonly PrometheusApi _prometheus = new(fixture.PrometheusUrl);

    [Fact]
    public async Task Every_panel_query_is_valid_and_returns_data_from_the_live_prometheus()
    {
        // Traffic on both services in the last minute, so rate() windows hold requests.
        using (var api = fixture.CreateHttpClient("apiservice"))
        using (var web = fixture.CreateHttpClient("webfrontend"))
        {
            (await api.GetAsync("/api/posts")).EnsureSuccessStatusCode();
            (await web.GetAsync("/")).EnsureSuccessStatusCode();
        }

        var failures = new Dictionary<string, string>();
        var pending = GrafanaDashboardFileTests.PanelQueries().Select(q => (q.Panel, Expr: Substitute(q.Expr))).ToList();
        try
        {
            await WaitFor.ConditionAsync(async () =>
            {
                foreach (var query in pending.ToList())
                {
                    try
                    {
                        if ((await _prometheus.QueryAsync(query.Expr)).Count > 0)
                        {
                            pending.Remove(query);
                            failures.Remove(query.Expr);
                        }
                        else
                        {
                            failures[query.Expr] = $"{query.Panel}: no data for {query.Expr}";
                        }
                    }
                    catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
                    {
                        failures[query.Expr] = $"{query.Panel}: {e.Message}";
                    }
                }

                return pending.Count == 0;
            }, TimeSpan.FromSeconds(60), "every panel query to return data");
        }
        catch (TimeoutException)
        {
            // Reported below, panel by panel.
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Values));
    }

    private static string Substitute(string expr) =>
        Variables.Aggregate(expr, (text, variable) => text.Replace(variable.Key, variable.Value, StringComparison.Ordinal));

    public void Dispose() => _prometheus.Dispose();
}

/// <summary>ops/grafana's files themselves: what the dashboard shows and how Grafana is pointed at it.</summary>
public sealed class GrafanaDashboardFileTests
{
    private static readonly string GrafanaDirectory = Path.Combine(Promtool.OpsDirectory, "grafana");

    public static IEnumerable<(string Panel, string Expr)> PanelQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(GrafanaDirectory, "dashboards", "blog.json")));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray()
                .Select(target => (panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!)))
            .ToList();
    }

    [Fact]
    public void The_dashboard_covers_traffic_errors_latency_health_live_connections_and_dropped_telemetry()
    {
        var queries = string.Join("\n", PanelQueries().Select(q => q.Expr));

        foreach (var metric in new[] { "http_requests_total", "http_request_duration_seconds_bucket", "websocket_active_connections",
                     "health_check_status", "telemetry_dropped_total", "blog:slo_errors:ratio_rate1h", "blog:slo_slow_requests:ratio_rate1h" })
        {
            Assert.Contains(metric, queries);
        }

        foreach (var quantile in new[] { "histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99," })
        {
            Assert.Contains(quantile, queries);
        }
    }

    [Fact]
    public void The_provisioning_files_name_the_dashboard_folder_and_the_prometheus_datasource()
    {
        var datasource = File.ReadAllText(Path.Combine(GrafanaDirectory, "provisioning", "datasources", "prometheus.yml"));
        var dashboards = File.ReadAllText(Path.Combine(GrafanaDirectory, "provisioning", "dashboards", "blog.yml"));

        Assert.Contains("type: prometheus", datasource);
        Assert.Contains("url: http://localhost:9090", datasource);
        Assert.Contains("type: file", dashboards);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(GrafanaDirectory, "dashboards", "blog.json")));
        var variable = dashboard.RootElement.GetProperty("templating").GetProperty("list")[0];
        Assert.Equal("datasource", variable.GetProperty("type").GetString());
        Assert.All(dashboard.RootElement.GetProperty("panels").EnumerateArray(),
            panel => Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString()));
    }
}
