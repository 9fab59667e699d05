using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Blog.AppHost.Infrastructure;

/// <summary>Where and how often the run-mode Prometheus listens and scrapes; resolved once at start.</summary>
public sealed record PrometheusOptions(int Port, TimeSpan Interval, string Directory)
{
    public const string EnabledKey = "Blog:Prometheus";
    public const string PortKey = "Blog:PrometheusPort";
    public const string IntervalKey = "Blog:PrometheusInterval";
    public const string ServerKey = "Blog:Local:PrometheusServer";
    public const int DefaultPort = 9090;

    /// <summary>Quick enough that a burst of errors shows within seconds locally; deployments keep 15 s.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    public static bool IsEnabled(IConfiguration configuration) => configuration.GetValue(EnabledKey, true);

    public static PrometheusOptions From(IDistributedApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var port = configuration.GetValue(PortKey, DefaultPort);
        if (port is < 1 or > 65535)
        {
            throw new DistributedApplicationException($"{PortKey} is {port}; use a TCP port (1-65535), or {EnabledKey}=false.");
        }

        var interval = configuration.GetValue(IntervalKey, DefaultInterval);
        if (interval < TimeSpan.FromSeconds(1) || interval > TimeSpan.FromMinutes(5) || interval.Milliseconds != 0)
        {
            throw new DistributedApplicationException($"{IntervalKey} is {interval}; use whole seconds from 00:00:01 to 00:05:00.");
        }

        return new(port, interval, Path.Combine(LocalInfrastructureOptions.ResolveDataDirectory(builder), "prometheus"));
    }
}

/// <summary>
/// Prometheus beside the services in run mode: the machine's <c>prometheus</c> in local mode, the official image in
/// containers mode. It loads ops/prometheus (configuration and rules) and scrapes every replica of the given projects
/// with the scrape token. Never in the published manifest: a deployment brings its own monitoring.
/// </summary>
public static class BlogPrometheus
{
    public const string ResourceName = "prometheus";
    public const string Image = "prom/prometheus";

    /// <summary>The 2.x line, whose rule and query semantics match Debian's 2.42 that local mode runs.</summary>
    public const string ImageTag = "v2.53.4";

    private const int ContainerPort = 9090;
    private const string ContainerConfigDirectory = "/etc/prometheus/blog";

    public static void AddPrometheusWhenEnabled(this IDistributedApplicationBuilder builder, InfrastructureMode mode,
        IResourceBuilder<ParameterResource> scrapeToken, params IResourceBuilder<ProjectResource>[] scraped)
    {
        if (builder.ExecutionContext.IsPublishMode || !PrometheusOptions.IsEnabled(builder.Configuration))
        {
            return;
        }

        var options = PrometheusOptions.From(builder);
        var opsDirectory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "ops", "prometheus"));
        var files = new PrometheusFiles(options.Directory, opsDirectory, options.Interval);
        Directory.CreateDirectory(options.Directory);

        // Replicas get their ports only when they start, so the targets are written from the running resources.
        var targetHost = mode == InfrastructureMode.Containers ? "host.docker.internal" : "localhost";
        builder.Services.AddHostedService(services => new PrometheusTargetsWriter(
            services.GetRequiredService<ResourceNotificationService>(), files, [.. scraped.Select(p => p.Resource)], targetHost,
            services.GetRequiredService<ILoggerFactory>().CreateLogger<PrometheusTargetsWriter>()));

        if (mode == InfrastructureMode.Containers)
        {
            var container = builder.AddContainer(ResourceName, Image, ImageTag)
                .WithBindMount(options.Directory, ContainerConfigDirectory, isReadOnly: true)
                .WithVolume("blog-prometheus-data", "/prometheus")
                .WithArgs($"--config.file={ContainerConfigDirectory}/{PrometheusFiles.ConfigFileName}",
                    "--storage.tsdb.path=/prometheus", $"--web.listen-address=:{ContainerPort}")
                // The token file is the AppHost user's, mode 600; the image's own user (nobody) could not read it.
                .WithContainerRuntimeArgs("--user", "root", "--add-host", "host.docker.internal:host-gateway")
                .WithHttpEndpoint(port: options.Port, targetPort: ContainerPort);
            Prepare(container, files, scrapeToken);
            return;
        }

        var configured = builder.Configuration[PrometheusOptions.ServerKey] is { Length: > 0 } path ? path : "prometheus";
        var binary = ExecutableSearch.Find(configured) ?? throw new DistributedApplicationException(
            $"The Prometheus server binary '{configured}' was not found. Install it (apt-get install prometheus, or " +
            $"scripts/setup.sh app), set {PrometheusOptions.ServerKey} to its path, or set {PrometheusOptions.EnabledKey}=false.");
        var local = builder.AddExecutable(ResourceName, binary, options.Directory,
                $"--config.file={files.ConfigPath}",
                $"--storage.tsdb.path={Path.Combine(options.Directory, "data")}",
                $"--web.listen-address=127.0.0.1:{options.Port.ToString(CultureInfo.InvariantCulture)}")
            // A fixed, documented port: people bookmark it and Grafana's datasource points at it.
            .WithHttpEndpoint(port: options.Port, isProxied: false);
        Prepare(local, files, scrapeToken);
    }

    private static void Prepare<T>(IResourceBuilder<T> prometheus, PrometheusFiles files, IResourceBuilder<ParameterResource> scrapeToken)
        where T : IResourceWithEndpoints
    {
        // Written before every start, so edits to ops/prometheus take effect when the resource is restarted.
        prometheus.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(prometheus.Resource, async (_, ct) =>
            await files.PrepareAsync(await scrapeToken.Resource.GetValueAsync(ct) ?? "", ct));
        prometheus.WithHttpHealthCheck("/-/ready");
    }
}
