using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// Keeps Prometheus's file_sd targets in step with the running replicas. Each replica listens on its own port
/// behind Aspire's proxy, which spreads requests across them, so scraping the proxy would sample one replica at
/// random; the port each replica really serves on is in its effective environment (<c>ASPNETCORE_URLS</c>).
/// A replica that stops keeps its target, so Prometheus reports it down (BlogServiceDown) instead of forgetting it.
/// </summary>
public sealed partial class PrometheusTargetsWriter(
    ResourceNotificationService notifications, PrometheusFiles files, IReadOnlyList<ProjectResource> scraped, string host,
    ILogger<PrometheusTargetsWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var replicasByService = scraped.ToDictionary(p => p, _ => new SortedDictionary<string, string>(StringComparer.Ordinal));
        try
        {
            foreach (var project in scraped)
            {
                await files.WriteTargetsAsync(project.Name, replicasByService[project], stoppingToken);
            }

            await foreach (var change in notifications.WatchAsync(stoppingToken))
            {
                if (change.Resource is not ProjectResource project
                    || !replicasByService.TryGetValue(project, out var replicas)
                    || ServingPort(change.Snapshot) is not { } port)
                {
                    continue;
                }

                var address = $"{host}:{port}";
                if (replicas.TryGetValue(change.ResourceId, out var known) && known == address)
                {
                    continue;
                }

                replicas[change.ResourceId] = address;
                await files.WriteTargetsAsync(project.Name, replicas, stoppingToken);
                TargetWritten(logger, change.ResourceId, address);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The plain-HTTP port in the replica's <c>ASPNETCORE_URLS</c>, once the orchestrator has resolved it.</summary>
    public static int? ServingPort(CustomResourceSnapshot snapshot)
    {
        var urls = snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value;
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.Port > 0)
            {
                return uri.Port;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 9200, EventName = "prometheus.target_updated", Level = LogLevel.Information,
        Message = "Prometheus scrapes {replica} at {address}")]
    private static partial void TargetWritten(ILogger logger, string replica, string address);
}
