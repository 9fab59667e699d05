using System.Diagnostics;
using System.Text.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.AppHost;

/// <summary>The AppHost run as a process: what azd and a person at a terminal see.</summary>
public sealed class AppHostCommandLineTests
{
    [Fact]
    public async Task Manifest_describes_container_postgres_and_redis_referenced_by_the_projects()
    {
        var output = Path.Combine(Path.GetTempPath(), $"blog-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, log) = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", output]);
            Assert.True(exitCode == 0, $"manifest publisher exited with {exitCode}:\n{log}");

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(output));
            var resources = manifest.RootElement.GetProperty("resources");

            Assert.StartsWith("container.", resources.GetProperty("postgres").GetProperty("type").GetString());
            Assert.StartsWith("container.", resources.GetProperty("cache").GetProperty("type").GetString());
            Assert.Equal("{postgres.connectionString};Database=blogdb",
                resources.GetProperty("blogdb").GetProperty("connectionString").GetString());

            var api = resources.GetProperty("apiservice");
            Assert.StartsWith("project.", api.GetProperty("type").GetString());
            var apiEnv = api.GetProperty("env");
            Assert.Equal("{blogdb.connectionString}", apiEnv.GetProperty("ConnectionStrings__blogdb").GetString());
            Assert.Equal("{cache.connectionString}", apiEnv.GetProperty("ConnectionStrings__cache").GetString());

            var webEnv = resources.GetProperty("webfrontend").GetProperty("env");
            Assert.Contains(webEnv.EnumerateObject(), p => p.Name.StartsWith("services__apiservice__", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Theory]
    [InlineData("Blog:Local:PostgresBinDirectory=/nonexistent/postgresql/bin", "'postgres'")]
    [InlineData("Blog:Local:RedisServer=/nonexistent/redis-server", "'/nonexistent/redis-server'")]
    public async Task Local_mode_with_a_missing_binary_fails_fast_naming_it(string setting, string named)
    {
        var stopwatch = Stopwatch.StartNew();
        var (exitCode, log) = await AppHostProcess.RunAsync(["Blog:Infrastructure=local", setting]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(named, log);
        Assert.Contains("apt-get install", log);
        Assert.True(stopwatch.Elapsed < AppHostProcess.FastFailLimit, $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Containers_mode_without_a_container_engine_fails_fast_saying_how_to_fix_it()
    {
        var stopwatch = Stopwatch.StartNew();
        var (exitCode, log) = await AppHostProcess.RunAsync(["Blog:Infrastructure=containers"],
            new Dictionary<string, string> { ["ASPIRE_CONTAINER_RUNTIME"] = "/nonexistent/container-runtime" });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("'/nonexistent/container-runtime' is not installed", log);
        Assert.Contains("Blog:Infrastructure=local", log);
        Assert.True(stopwatch.Elapsed < AppHostProcess.FastFailLimit, $"took {stopwatch.Elapsed}");
    }
}
