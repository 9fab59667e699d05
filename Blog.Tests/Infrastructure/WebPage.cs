using Microsoft.Playwright;

namespace Blog.Tests.Infrastructure;

public static class WebPage
{
    private static readonly string FailureDirectory =
        Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, "..", "artifacts", "test-failures"));

    /// <summary>
    /// Waits until an interactive page's circuit is up. Until then the page is its prerendered copy, and a click
    /// can land on an element that is being replaced.
    /// </summary>
    public static Task WaitUntilLiveAsync(IPage page) =>
        page.Locator("main[data-render-mode=interactive]").WaitForAsync(new() { Timeout = 20_000 });

    /// <summary>Runs browser steps; if one fails, keeps a screenshot, the page's HTML and its console output.</summary>
    public static async Task KeepEvidenceOnFailureAsync(IPage page, string name, Func<Task> steps)
    {
        var console = new List<string>();
        page.Console += (_, message) => console.Add($"{message.Type}: {message.Text}");
        page.PageError += (_, error) => console.Add($"pageerror: {error}");
        try
        {
            await steps();
        }
        catch
        {
            Directory.CreateDirectory(FailureDirectory);
            var stem = Path.Combine(FailureDirectory, name);
            await page.ScreenshotAsync(new() { Path = stem + ".png", FullPage = true });
            await File.WriteAllTextAsync(stem + ".html", await page.ContentAsync());
            await File.WriteAllLinesAsync(stem + ".console.txt", [page.Url, .. console]);
            throw;
        }
    }
}
