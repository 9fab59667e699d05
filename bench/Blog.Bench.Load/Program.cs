using System.Globalization;
using System.Text;
using System.Text.Json;
using Blog.Bench.Load;
using Microsoft.Extensions.Configuration;

// Mixed load against the API replicas (and optionally the web frontend through a real browser), recorded
// request by request, then checked against PostgreSQL. See README "Fault suite" and "Soak".
var options = new ConfigurationBuilder()
    .AddEnvironmentVariables("BLOG_LOAD_")
    .AddCommandLine(args)
    .Build()
    .Get<LoadOptions>() ?? new LoadOptions();
try
{
    options.Validate();
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var runId = $"load-{DateTime.UtcNow:yyyyMMddHHmmss}-{Random.Shared.Next(0x10000):x4}";
var recorder = new Recorder();
var targets = new ApiTargets(options.ApiUris(), options.EjectFor, TimeProvider.System);
using var http = ApiClient.CreateHttpClient(options.RequestTimeout);
var api = new ApiClient(http, targets, recorder, options);
var posts = new KnownPosts();
var workers = new Workers(api, recorder, posts, options, runId);

// Each writer and commenter is its own user, registered before the load starts.
const string password = "load-generator-password-1";
async Task<string[]> RegisterAsync(string role, int count) => await Task.WhenAll(Enumerable.Range(1, count).Select(n =>
    api.RegisterAsync($"{runId}-{role}{n}@example.test", $"Load {role} {n}", password, CancellationToken.None)));
var writerTokens = await RegisterAsync("writer", options.Writers);
var commenterTokens = await RegisterAsync("commenter", options.Commenters);
var probeToken = options.ProbeInterval > TimeSpan.Zero ? (await RegisterAsync("probe", 1))[0] : null;

await using var pages = options.WebUri() is { } web && options.PageViewers > 0 ? new PageViewers(web, posts, recorder, options) : null;
if (pages is not null)
{
    await pages.StartAsync();
}

using var stop = new CancellationTokenSource(options.Duration);
var start = DateTimeOffset.UtcNow;
if (options.StartedFile.Length > 0)
{
    await File.WriteAllTextAsync(options.StartedFile, start.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
}

Console.WriteLine($"{runId}: load for up to {options.Duration} or {options.MaxRequests} requests against {options.Api}");
var live = new LiveClients(targets, recorder);
var liveTasks = Enumerable.Range(1, options.LiveClients).Select(n => live.RunAsync(n, stop.Token)).ToList();
var loadTasks = new List<Task>();
loadTasks.AddRange(Enumerable.Range(1, options.Readers).Select(n => workers.ReadAsync(n, stop.Token)));
loadTasks.AddRange(writerTokens.Select((token, i) => workers.WriteAsync(i + 1, token, stop.Token)));
loadTasks.AddRange(commenterTokens.Select((token, i) => workers.CommentAsync(i + 1, token, stop.Token)));
if (probeToken is not null)
{
    loadTasks.Add(workers.ProbeAsync(probeToken, stop.Token));
}

if (pages is not null)
{
    loadTasks.AddRange(Enumerable.Range(1, options.PageViewers).Select(n => pages.RunAsync(n, stop.Token)));
}

// Workers stop at the duration or when the request bound is reached; the live clients stop with them.
await Task.WhenAll(loadTasks);
await stop.CancelAsync();
await Task.WhenAll(liveTasks);
var end = DateTimeOffset.UtcNow;

IReadOnlyList<AuditResult>? audit = null;
if (options.Database.Length > 0)
{
    audit = await WriteAudit.CheckAsync(options.Database, runId, recorder.Writes, CancellationToken.None);
}

var timeline = Timeline.Load(options.Events);
var report = ReportBuilder.Build(runId, start, end, options, timeline, recorder, audit, options.LiveClients);
var text = ReportBuilder.ToText(report, options);
Directory.CreateDirectory(options.Output);
await File.WriteAllTextAsync(Path.Combine(options.Output, $"{options.Name}-load.txt"), text);
await File.WriteAllTextAsync(Path.Combine(options.Output, $"{options.Name}-load.json"),
    JsonSerializer.Serialize(report, new JsonSerializerOptions(ApiClient.Json) { WriteIndented = true }));
await WriteRequestsCsvAsync(Path.Combine(options.Output, $"{options.Name}-requests.csv"), recorder.Requests, timeline);
Console.Write(text);
return report.Verdict.Passed ? 0 : 1;

// Every request, for looking at a fault more closely than the report does.
static async Task WriteRequestsCsvAsync(string path, IReadOnlyList<RequestRecord> requests, Timeline timeline)
{
    var csv = new StringBuilder("start_unix_ms,kind,phase,replica,outcome,status,attempts,latency_ms\n");
    foreach (var r in requests)
    {
        csv.Append(CultureInfo.InvariantCulture,
            $"{r.StartMs},{r.Kind},\"{timeline.PhaseAt(r.StartMs)}\",{r.Replica},{r.Outcome},{r.Status},{r.Attempts},{r.LatencyMs:0.0}\n");
    }

    await File.WriteAllTextAsync(path, csv.ToString());
}
