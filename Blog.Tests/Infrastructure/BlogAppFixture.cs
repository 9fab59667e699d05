using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Blog.Tests.Infrastructure;

/// <summary>
/// One real AppHost (local Postgres and Redis processes, a fresh data directory) shared by every
/// test in the <see cref="BlogAppCollection"/>: an AppHost start costs seconds, so the suite starts few.
/// </summary>
public class BlogAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), $"blog-tests-{Guid.NewGuid():N}");

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>AppHost configuration on top of local infrastructure, for fixtures that need a different shape.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    public async Task InitializeAsync()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Blog_AppHost>(
            ["Blog:Infrastructure=local", $"Blog:Local:DataDirectory={DataDirectory}", .. ExtraArguments]);

        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // No dashboard runs in tests: an OTLP exporter with nowhere to send blocks shutdown for seconds.
            builder.CreateResourceBuilder(project).WithEnvironment("OTEL_SDK_DISABLED", "true");
        }

        App = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("webfrontend", cts.Token);
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

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
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
