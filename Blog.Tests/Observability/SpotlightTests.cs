using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Blog.Tests.Infrastructure;
using Sentry;

namespace Blog.Tests.Observability;

/// <summary>Local error tracking without a Sentry account: the AppHost's Spotlight sidecar.</summary>
public sealed class SpotlightTests
{
    private static readonly string SpotlightDirectory =
        Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, "..", "tools", "spotlight"));

    [Fact]
    public async Task Without_a_dsn_the_apphost_runs_spotlight_and_with_one_it_does_not()
    {
        Assert.Contains("spotlight", await ResourceNamesAsync());
        Assert.DoesNotContain("spotlight", await ResourceNamesAsync("Parameters:sentry-dsn=http://key@sentry.invalid/1"));
        Assert.DoesNotContain("spotlight", await ResourceNamesAsync("Blog:Spotlight=false"));
    }

    /// <summary>
    /// The pinned sidecar, started from tools/spotlight, shows an error sent by the Sentry SDK configured the
    /// way the AppHost configures the services (DSN naming the sidecar, Spotlight transport to /stream).
    /// </summary>
    [Fact]
    public async Task The_pinned_sidecar_shows_an_error_sent_by_the_sdk_as_the_apphost_configures_it()
    {
        var port = Ports.Free();
        var start = new ProcessStartInfo(Path.Combine(SpotlightDirectory, "node_modules", ".bin", "spotlight"), ["server", "--port", port.ToString()])
        {
            WorkingDirectory = SpotlightDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var sidecar = Process.Start(start)!;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{port}") };
            await WaitFor.ConditionAsync(async () =>
            {
                try
                {
                    using var health = await http.GetAsync("/health");
                    return health.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "the Spotlight sidecar to answer");

            var message = $"Deliberate fault for Spotlight {Guid.NewGuid():N}";
            using var stream = await http.GetStreamAsync("/stream");
            var seen = ReadUntilAsync(new StreamReader(stream), message);

            using (SentrySdk.Init(options =>
            {
                options.Dsn = $"http://spotlight@localhost:{port}/1";
                options.EnableSpotlight = true;
                options.SpotlightUrl = $"http://localhost:{port}/stream";
            }))
            {
                SentrySdk.CaptureException(new InvalidOperationException(message));
                await SentrySdk.FlushAsync(TimeSpan.FromSeconds(10));
            }

            await seen.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            sidecar.Kill(entireProcessTree: true);
            await sidecar.WaitForExitAsync();
        }
    }

    private static async Task<List<string>> ResourceNamesAsync(params string[] args)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Blog_AppHost>(
            ["Blog:Infrastructure=local", .. args]);
        return builder.Resources.Select(r => r.Name).ToList();
    }

    private static async Task ReadUntilAsync(StreamReader reader, string text)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return;
            }
        }

        throw new InvalidOperationException("The Spotlight stream ended before the event arrived.");
    }
}
