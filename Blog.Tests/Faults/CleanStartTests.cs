using System.Globalization;
using System.Text.Json;
using Blog.Tests.Infrastructure;
using Blog.Tests.Observability;

namespace Blog.Tests.Faults;

/// <summary>
/// The shared app starts on an empty data directory: its start-up is the first start a new user sees, so
/// everything the services logged before it reported healthy must be free of errors and of chatter.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class CleanStartTests(BlogAppFixture fixture)
{
    [Fact]
    public void A_clean_first_start_logs_no_error_and_no_information_chatter_from_libraries()
    {
        var api = StartupLines(fixture.ApiOutput);
        var web = StartupLines(fixture.WebOutput);
        Assert.Contains(api, line => line.Get("event") == "db.migrated");
        Assert.NotEmpty(web);

        var errors = api.Concat(web).Where(line => line.Get("level") is "error" or "critical").Select(line => line.GetRawText()).ToList();
        Assert.True(errors.Count == 0, "errors logged during a clean start:\n" + string.Join("\n", errors));

        // The Redis client narrates every connection step at Information; that is Debug material.
        var chatter = api.Concat(web)
            .Where(line => line.Get("level") == "info" && line.Get("logger") is { } logger && logger.StartsWith("StackExchange.Redis", StringComparison.Ordinal))
            .Select(line => line.GetRawText()).ToList();
        Assert.True(chatter.Count == 0, "Redis client chatter during start-up:\n" + string.Join("\n", chatter));
    }

    /// <summary>The service's own JSON lines up to the healthy moment (the orchestrator adds plain-text notes of its own).</summary>
    private List<JsonElement> StartupLines(IEnumerable<string> output) =>
        LogLines.ParseAll(output.Where(line => BlogAppFixture.ProcessText(line).StartsWith('{')))
            .Where(line => line.Get("timestamp") is { } at && DateTimeOffset.Parse(at, CultureInfo.InvariantCulture) <= fixture.HealthyAt)
            .ToList();
}
