using System.Diagnostics;

namespace Blog.Tests.Api;

public sealed class ApiStartupTests
{
    [Fact]
    public async Task Outside_development_the_api_refuses_to_start_without_a_signing_key()
    {
        // The API built in the same configuration as these tests, run on its own as a deployment would.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var apiDll = Path.Combine(Path.GetDirectoryName(new Projects.Blog_ApiService().ProjectPath)!, "bin", configuration, "net10.0", "Blog.ApiService.dll");
        Assert.True(File.Exists(apiDll), apiDll);

        var start = new ProcessStartInfo("dotnet", [apiDll, "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__blogdb"] = "Host=127.0.0.1;Port=1;Database=blogdb;Username=u;Password=p",
                ["ConnectionStrings__cache"] = "127.0.0.1:1",
                ["OTEL_SDK_DISABLED"] = "true",
            },
        };
        using var process = Process.Start(start)!;
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var text = string.Concat(await output);
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("Auth:SigningKey must be set to at least 32 bytes", text);
    }
}
