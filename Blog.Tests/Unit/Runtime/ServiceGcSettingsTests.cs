using System.Text.Json;

namespace Blog.Tests.Unit.Runtime;

/// <summary>
/// The garbage collector settings of docs/decisions/0010-service-gc-settings.md reach what the runtime reads: each
/// service's runtimeconfig.json, which a local run, the suite, the benchmarks and a container image all use.
/// </summary>
public sealed class ServiceGcSettingsTests
{
    [Fact]
    public void The_web_frontend_runs_workstation_gc_with_a_bounded_generation_0()
    {
        var properties = RuntimeConfigProperties(new Projects.Blog_Web().ProjectPath);
        Assert.False(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.True(properties.GetProperty("System.GC.Concurrent").GetBoolean());
        Assert.Equal(16L << 20, properties.GetProperty("System.GC.Gen0MaxBudget").GetInt64());
    }

    [Fact]
    public void The_api_keeps_server_gc()
    {
        var properties = RuntimeConfigProperties(new Projects.Blog_ApiService().ProjectPath);
        Assert.True(properties.GetProperty("System.GC.Server").GetBoolean());
        Assert.False(properties.TryGetProperty("System.GC.Gen0MaxBudget", out _));
    }

    private static JsonElement RuntimeConfigProperties(string projectPath)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var name = Path.GetFileNameWithoutExtension(projectPath);
        var file = Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", configuration, "net10.0", $"{name}.runtimeconfig.json");
        Assert.True(File.Exists(file), file);
        using var json = JsonDocument.Parse(File.ReadAllText(file));
        return json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }
}
