using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Blog.Tests.Security;

/// <summary>
/// scripts/check-packages.sh, the test command's vulnerable-package check, against advisory data served on
/// loopback the way NuGet's VulnerabilityInfo resource serves it: the day an advisory names one of our
/// packages, the check fails and says which.
/// </summary>
public sealed class PackageCheckTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, ".."));

    [Fact]
    public async Task The_package_check_fails_naming_the_package_when_an_advisory_covers_one_we_use()
    {
        await using var advisories = await AdvisoryServer.StartAsync(
            """{"markdig":[{"severity":2,"url":"https://example.test/advisories/markdig-test","versions":"(, 999.0.0)"}]}""");
        var (exitCode, output) = await RunCheckAsync(advisories);

        Assert.Equal(1, exitCode);
        Assert.Contains("package check: FAILED: vulnerable NuGet packages", output);
        Assert.Contains("Markdig", output);
        Assert.Contains("https://example.test/advisories/markdig-test", output);
    }

    [Fact]
    public async Task The_package_check_passes_when_no_advisory_covers_our_packages()
    {
        await using var advisories = await AdvisoryServer.StartAsync(
            """{"markdig":[{"severity":2,"url":"https://example.test/advisories/markdig-old","versions":"(, 0.1.0)"}]}""");
        var (exitCode, output) = await RunCheckAsync(advisories);

        Assert.Equal(0, exitCode);
        Assert.Contains("package check: no vulnerable NuGet packages", output);
    }

    private static async Task<(int ExitCode, string Output)> RunCheckAsync(AdvisoryServer advisories)
    {
        var work = Directory.CreateTempSubdirectory("blog-package-check-");
        try
        {
            // The machine's package sources stay (restore must not change); the advisories come from the local server.
            var config = Path.Combine(work.FullName, "nuget.config");
            await File.WriteAllTextAsync(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <auditSources><clear /><add key="test-advisories" value="{advisories.ServiceIndex}" allowInsecureConnections="true" /></auditSources>
                </configuration>
                """);
            var start = new ProcessStartInfo("bash", [Path.Combine(Root, "scripts", "check-packages.sh"),
                Path.Combine(Root, "Blog.Web", "Blog.Web.csproj"), "--config", config])
            {
                WorkingDirectory = Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // A fresh HTTP cache: NuGet keeps advisory pages for a while, and each test serves different ones.
            start.Environment["NUGET_HTTP_CACHE_PATH"] = Path.Combine(work.FullName, "http-cache");
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>A service index with one VulnerabilityInfo resource, its page index and one page of advisories.</summary>
    private sealed class AdvisoryServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private AdvisoryServer(WebApplication app) => _app = app;

        public string ServiceIndex => $"{_app.Urls.First()}/index.json";

        public static async Task<AdvisoryServer> StartAsync(string advisoriesJson)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var updated = DateTimeOffset.UtcNow.ToString("O");
            app.MapGet("/index.json", (HttpContext http) => Results.Text(
                $$"""{"version":"3.0.0","resources":[{"@id":"{{Base(http)}}/vulnerabilities/index.json","@type":"VulnerabilityInfo/6.7.0"}]}""",
                "application/json"));
            app.MapGet("/vulnerabilities/index.json", (HttpContext http) => Results.Text(
                $$"""[{"@name":"base","@id":"{{Base(http)}}/vulnerabilities/base.json","@updated":"{{updated}}"}]""", "application/json"));
            app.MapGet("/vulnerabilities/base.json", () => Results.Text(advisoriesJson, "application/json"));
            await app.StartAsync();
            return new AdvisoryServer(app);
        }

        private static string Base(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}";

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
