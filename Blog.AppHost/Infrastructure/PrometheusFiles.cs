using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Blog.AppHost.Infrastructure;

/// <summary>
/// The directory the AppHost's Prometheus reads: ops/prometheus's configuration (with the run-mode interval) and
/// rules, the scrape token, and one file_sd targets file per scraped service.
/// </summary>
public sealed partial class PrometheusFiles(string directory, string opsDirectory, TimeSpan interval)
{
    public const string ConfigFileName = "prometheus.yml";
    public const string TokenFileName = "scrape-token";

    private readonly SemaphoreSlim _targetsGate = new(1, 1);

    public string Directory { get; } = directory;

    public string ConfigPath => Path.Combine(Directory, ConfigFileName);

    public string TargetsPath(string service) => Path.Combine(Directory, "targets", $"{service}.json");

    public async Task PrepareAsync(string scrapeToken, CancellationToken ct)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "targets"));
        var config = await File.ReadAllTextAsync(Path.Combine(opsDirectory, ConfigFileName), ct);
        await File.WriteAllTextAsync(ConfigPath, WithInterval(config, interval), ct);
        File.Copy(Path.Combine(opsDirectory, "rules.yml"), Path.Combine(Directory, "rules.yml"), overwrite: true);
        WriteSecret(Path.Combine(Directory, TokenFileName), scrapeToken);
    }

    /// <summary>The committed configuration with its global scrape and evaluation intervals set to <paramref name="interval"/>.</summary>
    public static string WithInterval(string config, TimeSpan interval)
    {
        var seconds = ((int)interval.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var replaced = 0;
        var result = GlobalInterval().Replace(config, match =>
        {
            replaced++;
            return $"{match.Groups[1].Value}{seconds}s";
        });
        return replaced == 2
            ? result
            : throw new InvalidOperationException($"ops/prometheus/{ConfigFileName} must set scrape_interval and evaluation_interval under global:.");
    }

    /// <summary>Replaces the targets file of <paramref name="service"/> in one rename, so Prometheus never reads half a file.</summary>
    public async Task WriteTargetsAsync(string service, IReadOnlyDictionary<string, string> addressByReplica, CancellationToken ct)
    {
        var groups = addressByReplica.Select(replica => new
        {
            targets = new[] { replica.Value },
            labels = new Dictionary<string, string> { ["service"] = service, ["replica"] = replica.Key },
        });
        var path = TargetsPath(service);
        await _targetsGate.WaitAsync(ct);
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".tmp";
            await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(groups), ct);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            _targetsGate.Release();
        }
    }

    /// <summary>Owner-only from the moment it exists: the token never sits readable by others, even briefly.</summary>
    private static void WriteSecret(string path, string value)
    {
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(value);
    }

    [GeneratedRegex(@"^(\s+(?:scrape|evaluation)_interval:\s*)\S+", RegexOptions.Multiline)]
    private static partial Regex GlobalInterval();
}
