namespace Blog.AppHost.Infrastructure;

/// <summary>
/// Where the local-process infrastructure finds its binaries and keeps its data. Resolved once at
/// start so a missing binary fails the AppHost within seconds, naming what to install.
/// </summary>
public sealed record LocalInfrastructureOptions(
    string DataDirectory,
    string PostgresBinDirectory,
    string RedisServerPath,
    bool RunAsPostgresUser)
{
    public const string DataDirectoryKey = "Blog:Local:DataDirectory";
    public const string PostgresBinDirectoryKey = "Blog:Local:PostgresBinDirectory";
    public const string RedisServerKey = "Blog:Local:RedisServer";

    public string PostgresPath => Path.Combine(PostgresBinDirectory, "postgres");
    public string InitDbPath => Path.Combine(PostgresBinDirectory, "initdb");

    public static LocalInfrastructureOptions From(IDistributedApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var runAsPostgresUser = RunsAsRoot;
        var dataDirectory = ResolveDataDirectory(builder);

        var binDirectory = configuration[PostgresBinDirectoryKey] is { Length: > 0 } configuredBin
            ? configuredBin
            : FindPostgresBinDirectory();
        foreach (var binary in new[] { "postgres", "initdb" })
        {
            if (binDirectory is null || !File.Exists(Path.Combine(binDirectory, binary)))
            {
                throw new DistributedApplicationException(
                    $"The PostgreSQL server binary '{binary}' was not found{(binDirectory is null ? "" : $" in '{binDirectory}'")}. " +
                    $"Install it (apt-get install postgresql) or set {PostgresBinDirectoryKey} to the directory that holds postgres and initdb.");
            }
        }

        var redisConfigured = configuration[RedisServerKey] is { Length: > 0 } configuredRedis ? configuredRedis : "redis-server";
        var redisPath = ExecutableSearch.Find(redisConfigured) ?? throw new DistributedApplicationException(
            $"The Redis server binary '{redisConfigured}' was not found. " +
            $"Install it (apt-get install redis-server) or set {RedisServerKey} to its path.");

        return new(dataDirectory, binDirectory!, redisPath, runAsPostgresUser);
    }

    // PostgreSQL refuses to run as root; sessions and CI run as root, so drop to the postgres user.
    private static bool RunsAsRoot => Environment.UserName == "root";

    /// <summary>The local data directory, also used by resources other than PostgreSQL (Prometheus).</summary>
    public static string ResolveDataDirectory(IDistributedApplicationBuilder builder) =>
        builder.Configuration[DataDirectoryKey] is { Length: > 0 } configuredData
            ? Path.GetFullPath(configuredData, builder.AppHostDirectory)
            : DefaultDataDirectory(builder.AppHostDirectory, RunsAsRoot);

    /// <summary>
    /// .data/ at the repository root (git-ignored). A clone inside a private directory such as /root
    /// cannot be reached by the postgres user, so then the data lives in /var/lib/blog instead.
    /// </summary>
    private static string DefaultDataDirectory(string appHostDirectory, bool runAsPostgresUser)
    {
        var repositoryData = Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".data"));
        if (!runAsPostgresUser || OthersCanTraverse(Path.GetDirectoryName(repositoryData)!))
        {
            return repositoryData;
        }

        return "/var/lib/blog";
    }

    private static bool OthersCanTraverse(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                return false;
            }
        }

        return true;
    }

    private static string? FindPostgresBinDirectory()
    {
        // Debian keeps server binaries off PATH, one directory per major version; prefer the newest.
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(dir => (dir, version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1))
                .Where(x => x.version > 0 && File.Exists(Path.Combine(x.dir, "bin", "postgres")))
                .OrderByDescending(x => x.version)
                .Select(x => Path.Combine(x.dir, "bin"))
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return ExecutableSearch.Find("postgres") is { } onPath
            ? Path.GetDirectoryName(new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath)
            : null;
    }
}

internal static class ExecutableSearch
{
    /// <summary>An absolute path as given if it exists, otherwise the first match on PATH.</summary>
    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }
}
