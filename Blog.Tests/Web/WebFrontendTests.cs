using System.Text.RegularExpressions;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Blog.Tests.Web;

/// <summary>The blog as people use it: Debian's chromium against the web frontend of the real AppHost.</summary>
[Collection(BlogAppCollection.Name)]
public sealed partial class WebFrontendTests(BlogAppFixture fixture)
{
    private static readonly string ScreenshotDirectory =
        Path.GetFullPath(Path.Combine(Projects.Blog_AppHost.ProjectPath, "..", "artifacts", "screenshots"));

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")]
    private static partial Regex Jwt();

    private Uri Web => fixture.App.GetEndpoint("webfrontend", "http");

    [Fact]
    public async Task Register_log_in_write_read_comment_edit_and_log_out()
    {
        await using var context = await fixture.Browser.NewContextAsync(Web);
        var page = await context.NewPageAsync();
        await WebPage.KeepEvidenceOnFailureAsync(page, nameof(Register_log_in_write_read_comment_edit_and_log_out), () => FlowAsync(page));
    }

    private async Task FlowAsync(IPage page)
    {
        var email = $"web-{Guid.NewGuid():N}@example.test";
        var password = $"pw-{Guid.NewGuid():N}";
        var name = $"Writer {Guid.NewGuid().ToString("N")[..6]}";
        var title = $"Hello from the browser {Guid.NewGuid().ToString("N")[..8]}";

        await RegisterAndLogInAsync(page, email, name, password);
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync(name);

        await page.GetByRole(AriaRole.Link, new() { Name = "New post" }).ClickAsync();
        await page.GetByLabel("Title").FillAsync(title);
        await page.GetByLabel("Body (Markdown)").FillAsync("Some **bold** words.\n\n- one\n- two");
        await page.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Expect(page.GetByTestId("post-title")).ToHaveTextAsync(title);
        await Expect(page.Locator("[data-testid=post-body] strong")).ToHaveTextAsync("bold");

        await page.GotoAsync("/");
        await WebPage.WaitUntilLiveAsync(page);
        await Expect(page.GetByTestId("post-list")).ToContainTextAsync(title);
        await page.GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
        await Expect(page.GetByTestId("post-title")).ToHaveTextAsync(title);
        await WebPage.WaitUntilLiveAsync(page);

        var comment = $"A thoughtful comment {Guid.NewGuid().ToString("N")[..6]}";
        await page.GetByLabel("Add a comment").FillAsync(comment);
        await page.GetByRole(AriaRole.Button, new() { Name = "Comment" }).ClickAsync();
        await Expect(page.GetByTestId("comments")).ToContainTextAsync(comment);

        await page.GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await page.GetByLabel("Title").FillAsync(title + " (edited)");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByTestId("post-title")).ToHaveTextAsync(title + " (edited)");
        await WebPage.WaitUntilLiveAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Log in" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_second_browser_with_the_home_page_open_shows_a_new_post_without_reloading()
    {
        await using var readerContext = await fixture.Browser.NewContextAsync(Web);
        await using var writerContext = await fixture.Browser.NewContextAsync(Web);
        var reader = await readerContext.NewPageAsync();
        await reader.GotoAsync("/");
        await WebPage.WaitUntilLiveAsync(reader);
        var navigations = 0;
        reader.FrameNavigated += (_, frame) => { if (frame == reader.MainFrame) navigations++; };

        var writer = await writerContext.NewPageAsync();
        await RegisterAndLogInAsync(writer, $"web-{Guid.NewGuid():N}@example.test", "Live Writer", $"pw-{Guid.NewGuid():N}");
        var title = $"Live post {Guid.NewGuid().ToString("N")[..8]}";
        await writer.GotoAsync("/posts/new");
        await writer.GetByLabel("Title").FillAsync(title);
        await writer.GetByLabel("Body (Markdown)").FillAsync("Fresh off the press.");
        await writer.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Expect(writer.GetByTestId("post-title")).ToHaveTextAsync(title);

        await Expect(reader.GetByTestId("post-list")).ToContainTextAsync(title, new() { Timeout = 20_000 });
        Assert.Equal(0, navigations);
    }

    [Fact]
    public async Task The_error_page_shows_the_request_id_of_the_failed_request()
    {
        await using var context = await fixture.Browser.NewContextAsync(Web);
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync("/api/diagnostics/fault");

        Assert.Equal(500, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Something went wrong" })).ToBeVisibleAsync();
        var shown = (await page.GetByTestId("request-id").TextContentAsync())!.Trim();
        Assert.Equal(await response.HeaderValueAsync("x-request-id"), shown);
        Assert.DoesNotContain("Deliberate fault", await page.ContentAsync());
    }

    [Fact]
    public async Task The_api_token_never_reaches_the_browser_and_a_script_in_a_post_is_shown_as_text()
    {
        await using var context = await fixture.Browser.NewContextAsync(Web);
        var page = await context.NewPageAsync();
        var email = $"web-{Guid.NewGuid():N}@example.test";
        var password = $"pw-{Guid.NewGuid():N}";
        await RegisterAndLogInAsync(page, email, "Careful Writer", password);

        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        var post = await author.CreatePostAsync("Scripted", "Before <script>window.__pwned = true</script> after [click](javascript:window.__pwned=true)");
        await page.GotoAsync($"/posts/{post.GetProperty("id").GetInt64()}");
        await Expect(page.GetByTestId("post-body")).ToContainTextAsync("<script>window.__pwned = true</script>");
        Assert.False(await page.EvaluateAsync<bool>("() => window.__pwned === true"));
        Assert.Equal(0, await page.Locator("[data-testid=post-body] script").CountAsync());
        Assert.DoesNotContain("javascript:", await page.Locator("[data-testid=post-body] a").First.GetAttributeAsync("href") ?? "");

        var source = await page.ContentAsync();
        var storage = await page.EvaluateAsync<string>("() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie })");
        Assert.DoesNotMatch(Jwt(), source);
        Assert.DoesNotMatch(Jwt(), storage);
        var authCookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "blog.auth");
        Assert.True(authCookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, authCookie.SameSite);
        Assert.DoesNotMatch(Jwt(), authCookie.Value);
    }

    [Fact]
    public async Task An_api_failure_shows_a_request_id_that_is_in_the_api_logs()
    {
        await using var context = await fixture.Browser.NewContextAsync(Web);
        var page = await context.NewPageAsync();
        var existing = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));

        await page.GotoAsync("/register");
        await page.GetByLabel("Email").FillAsync(existing.Email);
        await page.GetByLabel("Display name").FillAsync("Someone Else");
        await page.GetByLabel("Password").FillAsync("another-password-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(page.GetByTestId("problem")).ToContainTextAsync("Email already registered");
        var requestId = (await page.GetByTestId("request-id").TextContentAsync())!.Trim();
        Assert.Matches("^[A-Za-z0-9._:-]{1,128}$", requestId);
        var lines = await fixture.WaitForApiOutputAsync(l => l.Contains(requestId), "API log lines with the shown request id");
        Assert.Contains(lines, l => l.Contains("user.registration_conflict"));
    }

    [Fact]
    public async Task Screenshots_of_the_home_page_and_a_post_page()
    {
        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"), "Ada Lovelace");
        var post = await author.CreatePostAsync("Observing a .NET service at 3am",
            "When something breaks, operators need **what** failed, **where**, for **whom** and **since when**.\n\n" +
            "- JSON logs with request ids\n- Prometheus metrics\n- Sentry errors\n\n`X-Request-Id` ties them together.");
        using (var commenter = (await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"), "Grace Hopper")).Client)
        {
            using var _ = await commenter.PostAsync($"/api/posts/{post.GetProperty("id").GetInt64()}/comments",
                System.Net.Http.Json.JsonContent.Create(new { body = "The request id in the error message saved my night." }));
        }

        await using var context = await fixture.Browser.NewContextAsync(Web);
        var page = await context.NewPageAsync();
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.GotoAsync("/");
        await Expect(page.GetByTestId("post-list")).ToContainTextAsync("Observing a .NET service at 3am");
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "home.png") });

        await page.GotoAsync($"/posts/{post.GetProperty("id").GetInt64()}");
        await Expect(page.GetByTestId("comments")).ToContainTextAsync("saved my night");
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "post.png"), FullPage = true });

        Assert.True(new FileInfo(Path.Combine(ScreenshotDirectory, "home.png")).Length > 10_000);
        Assert.True(new FileInfo(Path.Combine(ScreenshotDirectory, "post.png")).Length > 10_000);
    }

    private static async Task RegisterAndLogInAsync(IPage page, string email, string name, string password)
    {
        await page.GotoAsync("/register");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Display name").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your account is ready");

        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToBeVisibleAsync();
    }
}
