using Microsoft.Extensions.Configuration;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// Sentry's Spotlight sidecar (npm <c>@spotlightjs/spotlight</c>, pinned in tools/spotlight): when no Sentry
/// DSN is configured the AppHost runs it, and the services send their errors and traces to it, so local
/// development sees what Sentry would without an account. Its UI is http://localhost:8969.
/// </summary>
public static class Spotlight
{
    public const string ResourceName = "spotlight";
    public const int Port = 8969;

    /// <summary>Adds the sidecar unless a DSN is set, <c>Blog:Spotlight</c> is false, or the manifest is being published.</summary>
    public static IResourceBuilder<ExecutableResource>? AddSpotlightWhenNoSentryDsn(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode
            || !string.IsNullOrEmpty(builder.Configuration["Parameters:sentry-dsn"])
            || !builder.Configuration.GetValue("Blog:Spotlight", true))
        {
            return null;
        }

        var directory = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "tools", "spotlight"));
        var cli = Path.Combine(directory, "node_modules", ".bin", "spotlight");
        if (!File.Exists(cli))
        {
            throw new DistributedApplicationException(
                $"Spotlight is not installed ({cli} is missing). Run scripts/setup.sh, or set Parameters:sentry-dsn, or Blog:Spotlight=false.");
        }

        // A fixed port: it is the one Spotlight's tools and docs expect, and the browser SDK is pointed at it.
        return builder.AddExecutable(ResourceName, cli, directory, "server", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithHttpEndpoint(port: Port, isProxied: false)
            .ExcludeFromManifest();
    }

    /// <summary>
    /// Gives the project its Sentry DSN: the <c>sentry-dsn</c> parameter, or when the sidecar runs, the SDK's
    /// Spotlight mode pointed at it. Sentry's .NET SDK switches itself off without a DSN, so it also gets one
    /// naming the sidecar: envelopes posted there are ignored (the SDK omits the content type Spotlight
    /// needs), while its Spotlight transport delivers each one to <c>/stream</c>. Scrubbing and sampling
    /// run exactly as they would against Sentry.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSentryDsn(this IResourceBuilder<ProjectResource> project,
        IResourceBuilder<ParameterResource> dsn, IResourceBuilder<ExecutableResource>? spotlight)
    {
        if (spotlight is null)
        {
            return project.WithEnvironment("Sentry__Dsn", dsn);
        }

        return project
            .WithEnvironment("Sentry__Dsn", SidecarDsn(spotlight))
            .WithEnvironment("Sentry__EnableSpotlight", "true")
            .WithEnvironment("Sentry__SpotlightUrl", ReferenceExpression.Create($"{spotlight.GetEndpoint("http")}/stream"));
    }

    /// <summary>
    /// The web frontend's browser SDK DSN (<c>sentry-browser-dsn</c>), or the sidecar's: the browser SDK posts to
    /// Sentry's envelope path, which the sidecar accepts from local origins.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBrowserSentryDsn(this IResourceBuilder<ProjectResource> project,
        IResourceBuilder<ParameterResource> dsn, IResourceBuilder<ExecutableResource>? spotlight)
    {
        if (spotlight is null || !string.IsNullOrEmpty(project.ApplicationBuilder.Configuration["Parameters:sentry-browser-dsn"]))
        {
            return project.WithEnvironment("Sentry__BrowserDsn", dsn);
        }

        return project.WithEnvironment("Sentry__BrowserDsn", SidecarDsn(spotlight));
    }

    /// <summary>A DSN naming the sidecar: it accepts envelopes on Sentry's own <c>/api/{project}/envelope/</c> path.</summary>
    private static ReferenceExpression SidecarDsn(IResourceBuilder<ExecutableResource> spotlight) =>
        ReferenceExpression.Create($"http://spotlight@{spotlight.GetEndpoint("http").Property(EndpointProperty.HostAndPort)}/1");
}
