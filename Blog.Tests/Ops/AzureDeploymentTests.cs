using System.Text.Json;
using System.Text.RegularExpressions;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Ops;

/// <summary>The manifest the AppHost publishes, published once for the class: what azd turns into Azure resources.</summary>
public sealed class PublishedManifest : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"blog-azd-manifest-{Guid.NewGuid():N}.json");

    public JsonElement Resources { get; private set; }

    public async Task InitializeAsync()
    {
        var (exitCode, log) = await AppHostProcess.RunAsync(["--publisher", "manifest", "--output-path", _path]);
        Assert.True(exitCode == 0, $"manifest publisher exited with {exitCode}:\n{log}");
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(_path));
        Resources = manifest.RootElement.GetProperty("resources").Clone();
    }

    public IEnumerable<(string Name, JsonElement Resource)> All() =>
        Resources.EnumerateObject().Select(p => (p.Name, p.Value));

    public Task DisposeAsync()
    {
        File.Delete(_path);
        return Task.CompletedTask;
    }
}

/// <summary>azd cannot be installed here, so these check what it consumes: azure.yaml and the published manifest.</summary>
public sealed class AzureDeploymentTests(PublishedManifest manifest) : IClassFixture<PublishedManifest>
{
    private static readonly string RepositoryRoot = Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, ".."));

    [Fact]
    public void Azure_yaml_names_the_apphost_as_a_dotnet_container_app()
    {
        var yaml = File.ReadAllText(Path.Combine(RepositoryRoot, "azure.yaml"));

        Assert.Matches(new Regex(@"^name:\s*\S+", RegexOptions.Multiline), yaml);
        var service = Regex.Match(yaml, @"^services:\s*\n\s+app:\s*\n((?:\s{4,}\S.*\n?)+)", RegexOptions.Multiline);
        Assert.True(service.Success, "azure.yaml has services.app");
        var fields = Regex.Matches(service.Groups[1].Value, @"^\s+(\w+):\s*(\S+)\s*$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal("dotnet", fields["language"]);
        Assert.Equal("containerapp", fields["host"]);
        Assert.Equal("./Blog.AppHost/Blog.AppHost.csproj", fields["project"]);
        Assert.True(File.Exists(Path.Combine(RepositoryRoot, fields["project"])));
    }

    [Fact]
    public void PostgreSQL_keeps_its_data_on_a_volume()
    {
        var postgres = manifest.Resources.GetProperty("postgres");

        Assert.StartsWith("container.", postgres.GetProperty("type").GetString());
        var volume = Assert.Single(postgres.GetProperty("volumes").EnumerateArray());
        Assert.Equal("/var/lib/postgresql", volume.GetProperty("target").GetString());
        Assert.False(volume.GetProperty("readOnly").GetBoolean());
    }

    [Fact]
    public void The_manifest_holds_no_executables_and_no_local_only_resources()
    {
        Assert.DoesNotContain(manifest.All(), r => r.Resource.GetProperty("type").GetString()!.StartsWith("executable.", StringComparison.Ordinal));
        Assert.DoesNotContain(manifest.All(), r => r.Name is "prometheus" or "spotlight");
    }

    [Fact]
    public void Every_secret_parameter_is_secret_and_generated_ones_are_left_to_azd()
    {
        var parameters = manifest.All().Where(r => r.Resource.GetProperty("type").GetString() == "parameter.v0")
            .ToDictionary(r => r.Name, r => r.Resource.GetProperty("inputs").GetProperty("value"));
        static bool Secret(JsonElement input) => input.TryGetProperty("secret", out var s) && s.GetBoolean();
        static bool Generated(JsonElement input) => input.TryGetProperty("default", out var d) && d.TryGetProperty("generate", out _);

        string[] secrets = ["jwt-signing-key", "metrics-scrape-token", "redaction-hmac-key", "sentry-dsn", "postgres-password", "cache-password"];
        Assert.All(secrets, name => Assert.True(Secret(parameters[name]), $"{name} is not secret"));
        Assert.All(parameters.Where(p => Regex.IsMatch(p.Key, "password|key|token|secret")), p => Assert.True(Secret(p.Value), $"{p.Key} is not secret"));

        string[] generated = ["jwt-signing-key", "metrics-scrape-token", "redaction-hmac-key", "postgres-password", "cache-password"];
        Assert.All(generated, name => Assert.True(Generated(parameters[name]), $"{name} would be asked for, not generated"));
        // The only parameters azd asks for: the Sentry DSNs, empty when Sentry is not used.
        Assert.Equal(["sentry-browser-dsn", "sentry-dsn"], parameters.Where(p => !Generated(p.Value)).Select(p => p.Key).Order().ToArray());
    }

    [Fact]
    public void References_give_the_projects_their_connection_strings_and_secrets()
    {
        var api = manifest.Resources.GetProperty("apiservice").GetProperty("env");
        Assert.Equal("{blogdb.connectionString}", api.GetProperty("ConnectionStrings__blogdb").GetString());
        Assert.Equal("{cache.connectionString}", api.GetProperty("ConnectionStrings__cache").GetString());
        Assert.Equal("{postgres.connectionString};Database=blogdb", manifest.Resources.GetProperty("blogdb").GetProperty("connectionString").GetString());
        Assert.Equal("{metrics-scrape-token.value}", api.GetProperty("Metrics__ScrapeToken").GetString());
        Assert.Equal("{jwt-signing-key.value}", api.GetProperty("Auth__SigningKey").GetString());

        var web = manifest.Resources.GetProperty("webfrontend");
        Assert.Equal("{metrics-scrape-token.value}", web.GetProperty("env").GetProperty("Metrics__ScrapeToken").GetString());
        Assert.Contains(web.GetProperty("env").EnumerateObject(), p => p.Name.StartsWith("services__apiservice__", StringComparison.Ordinal));
        Assert.True(web.GetProperty("bindings").GetProperty("http").GetProperty("external").GetBoolean());
    }
}
