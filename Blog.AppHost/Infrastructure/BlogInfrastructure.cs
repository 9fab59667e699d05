namespace Blog.AppHost.Infrastructure;

/// <summary>The data services every Blog service depends on, whichever way they are run.</summary>
public sealed record BlogInfrastructure(
    InfrastructureMode Mode,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Cache);

public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, local processes otherwise.</summary>
    Auto,
    Containers,
    Local,
}

public static class BlogInfrastructureExtensions
{
    public const string ModeKey = "Blog:Infrastructure";
    public const string ServerName = "postgres";
    public const string DatabaseName = "blogdb";
    public const string CacheName = "cache";

    public static BlogInfrastructure AddBlogInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var requested = ParseMode(builder.Configuration[ModeKey]);
        var mode = ResolveMode(builder, requested);

        if (mode == InfrastructureMode.Containers)
        {
            var postgres = builder.AddPostgres(ServerName).WithDataVolume();
            var database = postgres.AddDatabase(DatabaseName);
            var cache = builder.AddRedis(CacheName);
            return new(mode, database, cache);
        }

        var options = LocalInfrastructureOptions.From(builder);
        var localDatabase = builder.AddLocalPostgres(ServerName, options).AddDatabase(DatabaseName);
        var localCache = builder.AddLocalRedis(CacheName, options);
        return new(mode, localDatabase, localCache);
    }

    private static InfrastructureMode ParseMode(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => InfrastructureMode.Auto,
        "containers" => InfrastructureMode.Containers,
        "local" => InfrastructureMode.Local,
        _ => throw new DistributedApplicationException(
            $"{ModeKey} is '{value}'; use 'auto', 'containers' or 'local'."),
    };

    private static InfrastructureMode ResolveMode(IDistributedApplicationBuilder builder, InfrastructureMode requested)
    {
        // The manifest is what azd deploys: it must always describe the real container resources.
        if (builder.ExecutionContext.IsPublishMode)
        {
            return InfrastructureMode.Containers;
        }

        return requested switch
        {
            InfrastructureMode.Local => InfrastructureMode.Local,
            InfrastructureMode.Containers => ContainerRuntimeProbe.Check(builder.Configuration) is { } failure
                ? throw new DistributedApplicationException(
                    $"{ModeKey}=containers, but {failure} Start the container engine, or set {ModeKey}=local to run Postgres and Redis as local processes.")
                : InfrastructureMode.Containers,
            _ => ContainerRuntimeProbe.Check(builder.Configuration) is null
                ? InfrastructureMode.Containers
                : InfrastructureMode.Local,
        };
    }
}
