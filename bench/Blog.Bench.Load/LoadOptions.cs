using System.Net;

namespace Blog.Bench.Load;

/// <summary>
/// What to load and for how long. Bound from the command line (<c>--Readers 8</c>) and from environment
/// variables prefixed <c>BLOG_LOAD_</c> (<c>BLOG_LOAD_Readers=8</c>); the scripts in <c>bench/</c> set them.
/// </summary>
public sealed class LoadOptions
{
    /// <summary>Base URLs of the API replicas, comma separated; requests go round robin across them.</summary>
    public string Api { get; set; } = "";

    /// <summary>Base URL of the web frontend; needed only when <see cref="PageViewers"/> is above zero.</summary>
    public string Web { get; set; } = "";

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A second bound besides the duration: the run stops after this many HTTP requests.</summary>
    public int MaxRequests { get; set; } = 200_000;

    public int Readers { get; set; } = 4;
    public int Writers { get; set; } = 2;
    public int Commenters { get; set; } = 2;
    public int LiveClients { get; set; } = 4;

    /// <summary>
    /// Every this often one read and one write are started whether or not earlier ones have answered (an open
    /// loop, kinds <c>probe-read</c> and <c>probe-write</c>): the closed-loop workers all wait when the API stalls,
    /// the probes keep asking, so the report sees what a request started at any moment got. Zero turns them off.
    /// </summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Browser pages (real Blazor circuits) open at once; each opens a post page, waits, closes.</summary>
    public int PageViewers { get; set; }

    /// <summary>How long a browser page stays open once its circuit is up.</summary>
    public TimeSpan PageDwell { get; set; } = TimeSpan.FromSeconds(3);

    public string ChromiumPath { get; set; } = "/usr/bin/chromium";

    /// <summary>Pause between two requests of one worker, so two cores are shared rather than saturated.</summary>
    public TimeSpan ThinkTime { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Client-side bound: a hung server shows as a slow request instead of hanging the tool.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The API's promised bound (Requests:Timeout); any request slower than this fails the verdict.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Each kind of request must be back to <see cref="RecoveryRun"/> successes in a row within this.</summary>
    public TimeSpan RecoveryLimit { get; set; } = TimeSpan.FromSeconds(5);

    public int RecoveryRun { get; set; } = 5;

    /// <summary>A replica that refused a connection gets no requests for this long (a load balancer's passive check).</summary>
    public TimeSpan EjectFor { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The fault schedule the script writes while the load runs: lines of <c>unix_ms start|end name</c>.</summary>
    public string Events { get; set; } = "";

    /// <summary>Npgsql connection string of the API's database, to check every acknowledged write afterwards.</summary>
    public string Database { get; set; } = "";

    /// <summary>A file the tool creates once its users are registered and the load begins, for the script to time faults from.</summary>
    public string StartedFile { get; set; } = "";

    public string Output { get; set; } = "artifacts/bench";

    /// <summary>Base name of the result files: <c>{Name}-load.json</c>, <c>{Name}-load.txt</c>, <c>{Name}-requests.csv</c>.</summary>
    public string Name { get; set; } = "load";

    public IReadOnlyList<Uri> ApiUris() => ParseLoopback(Api, nameof(Api));

    public Uri? WebUri() => Web.Length == 0 ? null : ParseLoopback(Web, nameof(Web))[0];

    public void Validate()
    {
        if (ApiUris().Count == 0)
        {
            throw new ArgumentException("Give the API's base URL(s): --Api http://127.0.0.1:PORT[,http://127.0.0.1:PORT2]");
        }

        if (PageViewers > 0 && WebUri() is null)
        {
            throw new ArgumentException("PageViewers needs the web frontend's base URL: --Web http://127.0.0.1:PORT");
        }

        if (Duration <= TimeSpan.Zero || MaxRequests < 1 || RecoveryRun < 1)
        {
            throw new ArgumentException("Duration, MaxRequests and RecoveryRun must be positive.");
        }
    }

    // Load is only ever aimed at this machine: a typo must not send it anywhere else.
    private static List<Uri> ParseLoopback(string value, string name)
    {
        var uris = new List<Uri>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp
                || !IPAddress.TryParse(uri.Host, out var address) || !IPAddress.IsLoopback(address))
            {
                throw new ArgumentException($"{name}: '{part}' is not an http://127.0.0.1:PORT address (load goes to loopback only).");
            }

            uris.Add(uri);
        }

        return uris;
    }
}
