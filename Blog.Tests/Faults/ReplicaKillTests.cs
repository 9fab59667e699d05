using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Blog.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Blog.Tests.Faults;

/// <summary>
/// The short version of bench/faults.sh's replica kill: two API replicas as deployed (Release, Production, their
/// own PostgreSQL and Redis) under mixed load with live-feed clients, one SIGKILLed mid-run. Every acknowledged
/// write must be in PostgreSQL afterwards, applied once, no request may outlast the deadline, and the live-feed
/// clients of the dead replica must reconnect to the other. It runs the script itself, so the suite and the
/// fault suite cannot drift apart; the AppHost is not involved (a SIGKILL is what a replica's crash looks like,
/// which the AppHost would restart by itself).
/// </summary>
public sealed partial class ReplicaKillTests(ITestOutputHelper output)
{
    private static readonly string RepositoryRoot = Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, ".."));

    [Fact]
    public async Task Killing_one_of_two_api_replicas_under_load_loses_no_write_and_its_live_clients_reconnect()
    {
        var (exitCode, log) = await RunFaultsAsync(new Dictionary<string, string>
        {
            ["FAULTS_SCHEDULE"] = "api-replica-kill",
            // Killed at four fifths: 16 s of load on two replicas, 4 s on the survivor.
            ["FAULTS_DURATION"] = "20",
            ["FAULTS_NAME"] = "faults-suite",
            // The suite's own Release build is the one to run; a Debug test run builds Release first.
            ["FAULTS_BUILD"] = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name == "Release" ? "0" : "1",
        });
        output.WriteLine(log);

        // A write in flight when its replica died may be applied without its answer arriving: not a loss (the
        // client saw a dropped connection and may retry with its Idempotency-Key); a write applied twice would be.
        var report = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "artifacts", "bench", "faults-suite.txt"));
        Assert.Contains("start api-replica-kill", report, StringComparison.Ordinal);
        Assert.Matches(@"Acknowledged posts: [1-9]\d*; lost: 0; applied twice: 0; applied without acknowledgement: \d+", report);
        Assert.Matches(@"Acknowledged comments: [1-9]\d*; lost: 0; applied twice: 0; applied without acknowledgement: \d+", report);
        Assert.Contains("Requests over the 10 s deadline: 0", report, StringComparison.Ordinal);
        // Each live client of the killed replica connects again, to the survivor.
        var live = LiveLine().Match(report);
        Assert.True(live.Success, $"no live-feed line in:\n{report}");
        Assert.True(int.Parse(live.Groups["reconnects"].Value) >= 1, live.Value);
        // A client may first try the dead replica once; it must be connected again within the recovery bound.
        Assert.True(double.Parse(live.Groups["gap"].Value, System.Globalization.CultureInfo.InvariantCulture) <= 5, live.Value);
        // Writes go on after the kill, all on the surviving replica.
        var after = AfterKillLine().Match(report);
        Assert.True(after.Success && int.Parse(after.Groups["ok"].Value) > 0, $"no successful request after the kill in:\n{report}");
        Assert.Contains("Verdict: PASS", report, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
    }

    [GeneratedRegex(@"Live feed: \d+ clients, \d+ connections, (?<reconnects>\d+) reconnects, \d+ failed connection attempts, \d+ events heard, longest time without a connection (?<gap>[\d.]+) s")]
    private static partial Regex LiveLine();

    [GeneratedRegex(@"(?m)^after api-replica-kill\s+(?<requests>\d+)\s+(?<ok>\d+)")]
    private static partial Regex AfterKillLine();

    private static async Task<(int ExitCode, string Output)> RunFaultsAsync(IDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        start.ArgumentList.Add("bench/faults.sh");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var log = new StringBuilder();
        var stdout = AppHostProcess.PumpAsync(process.StandardOutput, log);
        var stderr = AppHostProcess.PumpAsync(process.StandardError, log);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM lets the script stop what it started (its EXIT trap); then make sure.
            Process.Start("kill", ["-TERM", process.Id.ToString()])?.WaitForExit();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
            }

            throw new TimeoutException($"bench/faults.sh did not finish within 4 minutes:\n{log}");
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, log.ToString());
    }
}
