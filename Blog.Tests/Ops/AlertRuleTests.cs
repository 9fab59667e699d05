namespace Blog.Tests.Ops;

/// <summary>ops/prometheus/rules.yml checked and unit-tested by promtool: both burns of each SLO, and a clean period.</summary>
public sealed class AlertRuleTests
{
    private static readonly string PrometheusDirectory = Path.Combine(Promtool.OpsDirectory, "prometheus");

    [Fact]
    public async Task The_rules_pass_promtool_check_and_their_unit_tests()
    {
        var check = await Promtool.RunAsync(PrometheusDirectory, "check", "rules", "rules.yml");
        Assert.True(check.ExitCode == 0, check.Output);
        var test = await Promtool.RunAsync(PrometheusDirectory, "test", "rules", "rules.test.yml");
        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Contains("SUCCESS", test.Output);
    }

    [Fact]
    public void Every_alert_has_a_runbook_section()
    {
        var rules = File.ReadAllText(Path.Combine(PrometheusDirectory, "rules.yml"));
        var runbook = File.ReadAllText(Path.Combine(Promtool.OpsDirectory, "..", "docs", "runbook.md"));
        var alerts = System.Text.RegularExpressions.Regex.Matches(rules, @"- alert: (\w+)").Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.NotEmpty(alerts);
        Assert.All(alerts, alert => Assert.Contains($"## {alert}", runbook));
    }
}
