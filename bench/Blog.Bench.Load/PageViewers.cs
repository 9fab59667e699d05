using System.Diagnostics;
using Microsoft.Playwright;

namespace Blog.Bench.Load;

/// <summary>
/// Real Blazor circuits that come and go: each viewer opens a post page in Debian's chromium (no browser
/// download), waits until the page is interactive (its circuit is up), keeps it open a moment, and closes it.
/// Recorded as requests of kind <c>page</c>, the latency being the time to an interactive page.
/// </summary>
public sealed class PageViewers(Uri web, KnownPosts posts, Recorder recorder, LoadOptions options) : IAsyncDisposable
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(10);

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private int _evidenceKept;

    public async Task StartAsync()
    {
        if (!File.Exists(options.ChromiumPath))
        {
            throw new InvalidOperationException($"{options.ChromiumPath} is missing: run scripts/setup.sh test");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = options.ChromiumPath,
            Headless = true,
            // Root in CI: chromium's sandbox needs user namespaces it does not get there.
            Args = ["--no-sandbox"],
        });
    }

    public async Task RunAsync(int viewer, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (posts.Pick() is not { } id)
            {
                await Task.Delay(500, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            if (!recorder.TryStartRequest(options.MaxRequests))
            {
                return;
            }

            var startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var started = Stopwatch.GetTimestamp();
            IBrowserContext context;
            try
            {
                context = await _browser!.NewContextAsync().WaitAsync(options.RequestTimeout, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }

            // Ending the run closes the page, which ends whatever it was waiting for.
            await using var closeAtEnd = ct.Register(() => _ = context.CloseAsync());
            var outcome = Outcome.Answered;
            var status = 0;
            var console = new List<string>();
            IPage? page = null;
            try
            {
                // Bounded: a page requested while the end of the run closes its context was seen to never arrive.
                page = await context.NewPageAsync().WaitAsync(options.RequestTimeout, ct);
                page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
                page.PageError += (_, error) => console.Add($"pageerror: {error}");
                var response = await page.GotoAsync(new Uri(web, $"/posts/{id}").ToString(),
                    new PageGotoOptions { Timeout = (float)options.RequestTimeout.TotalMilliseconds });
                status = response?.Status ?? 0;
                await page.Locator("main[data-render-mode=interactive]")
                    .WaitForAsync(new LocatorWaitForOptions { Timeout = (float)options.RequestTimeout.TotalMilliseconds });
            }
            catch (TimeoutException)
            {
                outcome = Outcome.Timeout;
            }
            catch (PlaywrightException)
            {
                outcome = Outcome.ConnectionLost;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The run ended while the page was being opened; not measured (below).
            }

            if (ct.IsCancellationRequested)
            {
                // The run ended while this page was loading: it is not part of the measurement.
                return;
            }

            recorder.Request(new RequestRecord("page", startMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                web.Authority, outcome, status, 1));
            if (outcome != Outcome.Answered && Interlocked.Exchange(ref _evidenceKept, 1) == 0)
            {
                await KeepEvidenceAsync(page, id, console);
            }
            if (outcome == Outcome.Answered)
            {
                await Task.Delay(options.PageDwell, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            // Closing the context closes the page: the circuit's connection goes away, as when a reader leaves.
            await CloseAsync(context.CloseAsync());
        }
    }

    /// <summary>
    /// Waits a bounded time for a close: a close racing the end-of-run close of the same context has been seen to
    /// never complete, which held the whole run past its duration.
    /// </summary>
    private static async Task CloseAsync(Task close)
    {
        try
        {
            await close.WaitAsync(CloseTimeout);
        }
        catch (Exception ex) when (ex is TimeoutException or PlaywrightException)
        {
            // Already closed or closing: nothing left to wait for.
        }
    }

    /// <summary>The first page that never became interactive: its console and HTML, to see why without a rerun.</summary>
    private async Task KeepEvidenceAsync(IPage? page, long postId, List<string> console)
    {
        var html = "";
        try
        {
            html = page is null ? "" : await page.ContentAsync();
        }
        catch (PlaywrightException)
        {
            // The page is gone; the console is still worth keeping.
        }

        Directory.CreateDirectory(options.Output);
        await File.WriteAllTextAsync(Path.Combine(options.Output, $"{options.Name}-page-failure.txt"),
            $"/posts/{postId}: not interactive within {options.RequestTimeout}\n\nConsole:\n{string.Join('\n', console)}\n\nHTML:\n{html}\n");
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await CloseAsync(_browser.CloseAsync());
        }

        _playwright?.Dispose();
    }
}
