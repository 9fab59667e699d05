using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Blog.Tests.Infrastructure;

/// <summary>
/// One real AppHost (local Postgres and Redis processes, a fresh data directory) shared by every
/// test in the <see cref="BlogAppCollection"/>: an AppHost start costs seconds, so the suite starts few.
/// </summary>
public class BlogAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"blog-tests-{Guid.NewGuid():N}");

    public const string MetricsScrapeToken = "test-scrape-token-0123456789abcdef";

    /// <summary>
    /// The test app's write limits (Blog.Tests/Security): a short window, and more permits than the rest of the
    /// suite spends from its one address (127.0.0.1) or on one account within it.
    /// </summary>
    public const int RateLimitPermits = 60;

    public static readonly TimeSpan RateLimitWindow = TimeSpan.FromSeconds(6);

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The AppHost's Prometheus, on a free port so it never clashes with another run's 9090.</summary>
    public int PrometheusPort { get; } = Ports.Free();

    public Uri PrometheusUrl => new($"http://127.0.0.1:{PrometheusPort}");

    /// <summary>Sentry envelopes and OTLP exports from the services land here.</summary>
    public TelemetryReceiver Telemetry { get; private set; } = null!;

    /// <summary>Chromium for the web frontend's tests, started on first use.</summary>
    public Browser Browser { get; } = new();

    /// <summary>Every line the API process wrote to stdout/stderr since it started.</summary>
    public ConcurrentQueue<string> ApiOutput { get; } = new();

    /// <summary>Every line the web frontend process wrote to stdout/stderr since it started.</summary>
    public ConcurrentQueue<string> WebOutput { get; } = new();

    /// <summary>When the whole app first reported healthy: what was logged before it is the clean start.</summary>
    public DateTimeOffset HealthyAt { get; private set; }

    private readonly CancellationTokenSource _stopWatching = new();

    /// <summary>AppHost configuration on top of local infrastructure, for fixtures that need a different shape.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    public async Task InitializeAsync()
    {
        Telemetry = await TelemetryReceiver.StartAsync();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Blog_AppHost>(
        [
            "Blog:Infrastructure=local",
            $"Blog:Local:DataDirectory={DataDirectory}",
            $"Parameters:metrics-scrape-token={MetricsScrapeToken}",
            $"Parameters:sentry-dsn={Telemetry.SentryDsn}",
            $"Parameters:sentry-browser-dsn={Telemetry.SentryDsn}",
            $"Blog:PrometheusPort={PrometheusPort}",
            .. ExtraArguments,
        ]);

        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // No dashboard runs in tests. OTLP goes to the local receiver instead: an exporter with
            // nowhere to send would block shutdown for seconds, and the tests read what is exported.
            builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Telemetry.BaseAddress.ToString().TrimEnd('/'))
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_BLRP_SCHEDULE_DELAY", "500")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "500")
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "1000")
                .WithEnvironment("Diagnostics__EnableFaultEndpoint", "true");
        }

        var window = RateLimitWindow.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        var api = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "apiservice"));
        foreach (var limit in new[] { "Registrations", "Posts", "Comments" })
        {
            api.WithEnvironment($"RateLimiting__{limit}__PermitLimit", RateLimitPermits.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .WithEnvironment($"RateLimiting__{limit}__Window", window);
        }

        // The tests' own address is a trusted proxy, so rate-limit tests can speak for other clients (X-Forwarded-For).
        api.WithEnvironment("ForwardedHeaders__KnownProxies__0", "127.0.0.1")
            .WithEnvironment("ForwardedHeaders__KnownProxies__1", "::1");
        var web = builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "webfrontend"));
        web.WithEnvironment("Diagnostics__EnableInlineScriptProbe", "true");

        App = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("webfrontend", cts.Token);
        HealthyAt = DateTimeOffset.UtcNow;
        WatchOutput("apiservice", ApiOutput);
        WatchOutput("webfrontend", WebOutput);
    }

    public HttpClient CreateHttpClient(string resource) => App.CreateHttpClient(resource);

    /// <summary>Stops a resource the way the dashboard's Stop button does, and waits until it has exited.</summary>
    public async Task StopResourceAsync(string resource)
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand, cts.Token);
        Assert.True(result.Success, $"stopping {resource}: {result.Message}");
        await App.ResourceNotifications.WaitForResourceAsync(resource,
            e => e.Snapshot.State?.Text is "Exited" or "Finished", cts.Token);
    }

    /// <summary>Starts a stopped resource again and waits until its health checks pass.</summary>
    public async Task StartResourceAsync(string resource)
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var result = await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, cts.Token);
        Assert.True(result.Success, $"starting {resource}: {result.Message}");
        await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
    }

    public async Task<string> GetConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"No connection string for {resource}.");

    /// <summary>What the API process itself wrote: the orchestrator's timestamp prefix removed.</summary>
    public static string ProcessText(string line) =>
        System.Text.RegularExpressions.Regex.Replace(line, @"^\d{4}-\d{2}-\d{2}T[0-9:.]+Z ", "");

    /// <summary>Lines of API output that satisfy <paramref name="match"/>, waiting until there is at least one.</summary>
    public async Task<IReadOnlyList<string>> WaitForApiOutputAsync(Func<string, bool> match, string what)
    {
        List<string> found = [];
        await WaitFor.ConditionAsync(() =>
        {
            found = ApiOutput.Where(match).ToList();
            return Task.FromResult(found.Count > 0);
        }, TimeSpan.FromSeconds(20), what);
        return found;
    }

    private void WatchOutput(string resourceName, ConcurrentQueue<string> output)
    {
        var loggers = App.Services.GetRequiredService<ResourceLoggerService>();
        var resource = App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in loggers.WatchAsync(resource).WithCancellation(_stopWatching.Token))
                {
                    foreach (var line in batch)
                    {
                        output.Enqueue(line.Content);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await _stopWatching.CancelAsync();
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }

        if (Telemetry is not null)
        {
            await Telemetry.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A process that is still exiting may hold a file; the directory is under the temp path anyway.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BlogAppCollection : ICollectionFixture<BlogAppFixture>
{
    public const string Name = "Blog app";
}

/// <summary>The same app with two API replicas behind one endpoint, for what only shows across processes.</summary>
public sealed class TwoReplicaAppFixture : BlogAppFixture
{
    protected override IEnumerable<string> ExtraArguments => ["Blog:ApiReplicas=2"];
}

[CollectionDefinition(Name)]
public sealed class TwoReplicaAppCollection : ICollectionFixture<TwoReplicaAppFixture>
{
    public const string Name = "Blog app with two API replicas";
}
