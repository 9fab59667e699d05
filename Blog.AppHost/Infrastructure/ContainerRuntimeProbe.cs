using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// Asks the container runtime whether its engine answers. Without an engine, Aspire's container
/// resources wait forever in RuntimeUnhealthy, so this decides up front and fails in seconds.
/// </summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <returns>null when the engine answers, otherwise why it does not.</returns>
    public static string? Check(IConfiguration configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] is { Length: > 0 } configured ? configured : "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            // Drain both pipes so a chatty runtime cannot block on a full buffer.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return $"'{runtime} info' did not answer within {Timeout.TotalSeconds:0} s.";
            }

            return process.ExitCode == 0 ? null : $"'{runtime} info' failed (exit code {process.ExitCode}): no container engine is running.";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"the container runtime '{runtime}' is not installed.";
        }
    }
}
