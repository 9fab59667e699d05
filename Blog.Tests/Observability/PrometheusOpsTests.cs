using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Observability;

/// <summary>ops/prometheus: the scrape configuration and rules operators deploy, checked by Prometheus itself.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class PrometheusOpsTests(BlogAppFixture fixture)
{
    private static readonly string OpsDirectory = Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, "..", "ops", "prometheus"));

    [Fact]
    public async Task The_rules_pass_promtool_check_and_their_unit_tests()
    {
        var check = await RunAsync("promtool", OpsDirectory, "check", "rules", "rules.yml");
        Assert.True(check.ExitCode == 0, check.Output);
        var test = await RunAsync("promtool", OpsDirectory, "test", "rules", "rules.test.yml");
        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Contains("SUCCESS", test.Output);
    }

    /// <summary>
    /// The committed scrape configuration, pointed at the running services with the scrape token, run by a
    /// real Prometheus server: both targets are up and the recording rules produce series.
    /// </summary>
    [Fact]
    public async Task A_real_prometheus_with_the_committed_config_scrapes_both_services_with_the_token()
    {
        var work = Directory.CreateTempSubdirectory("blog-prometheus-");
        try
        {
            var api = fixture.App.GetEndpoint("apiservice", "http");
            var web = fixture.App.GetEndpoint("webfrontend", "http");
            var config = (await File.ReadAllTextAsync(Path.Combine(OpsDirectory, "prometheus.yml")))
                .Replace("localhost:5480", api.Authority)
                .Replace("localhost:5490", web.Authority)
                .Replace("scrape_interval: 15s", "scrape_interval: 1s")
                .Replace("evaluation_interval: 15s", "evaluation_interval: 1s");
            await File.WriteAllTextAsync(Path.Combine(work.FullName, "prometheus.yml"), config);
            File.Copy(Path.Combine(OpsDirectory, "rules.yml"), Path.Combine(work.FullName, "rules.yml"));
            await File.WriteAllTextAsync(Path.Combine(work.FullName, "blog-scrape-token"), BlogAppFixture.MetricsScrapeToken);

            var checkConfig = await RunAsync("promtool", work.FullName, "check", "config", "prometheus.yml");
            Assert.True(checkConfig.ExitCode == 0, checkConfig.Output);

            var port = Ports.Free();
            var start = new ProcessStartInfo("prometheus",
                ["--config.file=prometheus.yml", $"--storage.tsdb.path={Path.Combine(work.FullName, "data")}",
                 $"--web.listen-address=127.0.0.1:{port}"])
            {
                WorkingDirectory = work.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var prometheus = Process.Start(start)!;
            _ = prometheus.StandardOutput.ReadToEndAsync();
            _ = prometheus.StandardError.ReadToEndAsync();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                using (var traffic = fixture.CreateHttpClient("apiservice"))
                {
                    await traffic.GetAsync("/api/posts");
                }

                await WaitFor.ConditionAsync(async () => await QueryAsync(client, "sum(up{job=~\"blog-.*\"})") == 2,
                    TimeSpan.FromSeconds(60), "both Blog targets to be up in Prometheus");
                await WaitFor.ConditionAsync(async () => await QueryAsync(client, "count(blog:http_requests:rate5m)") > 0,
                    TimeSpan.FromSeconds(60), "the recording rules to produce series");
            }
            finally
            {
                prometheus.Kill(entireProcessTree: true);
                await prometheus.WaitForExitAsync();
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static async Task<double?> QueryAsync(HttpClient client, string query)
    {
        try
        {
            using var response = await client.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var result = document.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0
                ? null
                : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
