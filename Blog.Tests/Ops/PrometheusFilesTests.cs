using System.Collections.Immutable;
using Aspire.Hosting.ApplicationModel;
using Blog.AppHost.Infrastructure;

namespace Blog.Tests.Ops;

/// <summary>The pure parts of the AppHost's Prometheus: the interval rewrite and reading a replica's port.</summary>
public sealed class PrometheusFilesTests
{
    [Fact]
    public void The_committed_configuration_gets_the_run_mode_interval_for_scrapes_and_rules()
    {
        var committed = File.ReadAllText(Path.Combine(Promtool.OpsDirectory, "prometheus", "prometheus.yml"));

        var local = PrometheusFiles.WithInterval(committed, TimeSpan.FromSeconds(5));

        Assert.Contains("  scrape_interval: 5s\n", local);
        Assert.Contains("  evaluation_interval: 5s\n", local);
        Assert.DoesNotContain("15s", local);
    }

    [Fact]
    public void A_configuration_without_both_global_intervals_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => PrometheusFiles.WithInterval("global:\n  scrape_interval: 15s\n", TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("http://localhost:41235", 41235)]
    [InlineData("https://localhost:41236;http://localhost:41235", 41235)]
    [InlineData("http://localhost:{{- portForServing \"apiservice-http\" -}}", null)]
    [InlineData("https://localhost:41236", null)]
    public void A_replica_is_scraped_on_the_plain_http_port_it_serves(string urls, int? port)
    {
        var snapshot = new CustomResourceSnapshot
        {
            ResourceType = "Project",
            Properties = [],
            EnvironmentVariables = ImmutableArray.Create(new EnvironmentVariableSnapshot("ASPNETCORE_URLS", urls, true)),
        };

        Assert.Equal(port, PrometheusTargetsWriter.ServingPort(snapshot));
    }
}
