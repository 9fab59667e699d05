using Microsoft.Playwright;

namespace Blog.Tests.Infrastructure;

/// <summary>
/// Debian's chromium driven by Playwright: one browser process for the run, a fresh context (cookies,
/// storage) per test user. No browser is downloaded; the test command installs chromium with apt.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IBrowserContext> NewContextAsync(Uri baseAddress)
    {
        await _gate.WaitAsync();
        try
        {
            if (_browser is null)
            {
                Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: run scripts/setup.sh test");
                _playwright = await Playwright.CreateAsync();
                _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = ChromiumPath,
                    Headless = true,
                    // Root in CI: chromium's sandbox needs user namespaces it does not get there.
                    Args = ["--no-sandbox"],
                });
            }
        }
        finally
        {
            _gate.Release();
        }

        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1100, Height = 800 },
        });
        context.SetDefaultTimeout(15_000);
        return context;
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
