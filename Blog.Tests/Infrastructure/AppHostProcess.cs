using System.Diagnostics;
using System.Text;

namespace Blog.Tests.Infrastructure;

/// <summary>Runs the built AppHost as its own process, as a person or azd would.</summary>
public static class AppHostProcess
{
    /// <summary>Generous for a loaded 2-core machine; a hang would run into the 2-minute kill instead.</summary>
    public static readonly TimeSpan FastFailLimit = TimeSpan.FromSeconds(45);

    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        // The AppHost's own output folder, with its own deps.json: the copy beside the tests resolves
        // its dependencies against the test project's (which shares ASP.NET Core from the framework).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var framework = new DirectoryInfo(AppContext.BaseDirectory).Name;
        var appHostDll = Path.Combine(Projects.Blog_AppHost.ProjectPath, "bin", configuration, framework, "Blog.AppHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Projects.Blog_AppHost.ProjectPath,
        };
        start.ArgumentList.Add(appHostDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"AppHost did not exit within 2 minutes:\n{output}");
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    /// <summary>Copies a process's output into <paramref name="into"/> line by line (stdout and stderr share it).</summary>
    internal static async Task PumpAsync(StreamReader reader, StringBuilder into)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (into)
            {
                into.AppendLine(line);
            }
        }
    }
}
