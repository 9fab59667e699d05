using System.Diagnostics;

namespace Blog.Tests.Ops;

/// <summary>Runs Prometheus's own checker, installed with the prometheus package.</summary>
public static class Promtool
{
    public static readonly string OpsDirectory = Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, "..", "ops"));

    public static async Task<(int ExitCode, string Output)> RunAsync(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("promtool", args)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
