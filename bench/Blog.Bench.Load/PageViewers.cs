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
    private IPlaywright? _playwright;
    private IBrowser? _browser;

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
            var context = await _browser!.NewContextAsync();
            var outcome = Outcome.Answered;
            var status = 0;
            try
            {
                var page = await context.NewPageAsync();
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

            recorder.Request(new RequestRecord("page", startMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                web.Authority, outcome, status, 1));
            if (outcome == Outcome.Answered)
            {
                await Task.Delay(options.PageDwell, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            // Closing the context closes the page: the circuit's connection goes away, as when a reader leaves.
            await context.CloseAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
