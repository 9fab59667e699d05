using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Blog.Tests.Security;

/// <summary>The web frontend's browser security headers, and its Content-Security-Policy as chromium enforces it.</summary>
[Collection(BlogAppCollection.Name)]
public sealed partial class BrowserSecurityTests(BlogAppFixture fixture)
{
    // Runs before any page script (Playwright injects it outside the page's policy) and records what the policy refused.
    private const string ViolationRecorder =
        """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
          { directive: e.effectiveDirective, blocked: e.blockedURI, policy: e.originalPolicy }));
        """;

    private Uri Web => fixture.App.GetEndpoint("webfrontend", "http");

    [GeneratedRegex("""<script[^>]*type="importmap"[^>]*nonce="([^"]+)"|<script[^>]*nonce="([^"]+)"[^>]*type="importmap""")]
    private static partial Regex ImportMapNonce();

    [Theory]
    [InlineData("/")]
    [InlineData("/login")]
    [InlineData("/register")]
    [InlineData("/posts/9223372036854775806")]
    [InlineData("/app.css")]
    [InlineData("/_framework/blazor.web.js")]
    [InlineData("/js/sentry.bundle.js")]
    public async Task Every_response_of_the_web_frontend_carries_the_browser_security_headers(string path)
    {
        using var client = fixture.CreateHttpClient("webfrontend");
        using var response = await client.GetAsync(path);

        Assert.True(response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
        var permissions = Header(response, "Permissions-Policy");
        foreach (var feature in new[] { "camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()" })
        {
            Assert.Contains(feature, permissions);
        }

        var policy = Directives(Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal(["'self'"], policy["default-src"]);
        Assert.Equal("'self'", policy["script-src"][0]);
        Assert.Matches("^'nonce-[A-Za-z0-9_-]{22}'$", Assert.Single(policy["script-src"], s => s.StartsWith("'nonce-", StringComparison.Ordinal)));
        Assert.Equal(2, policy["script-src"].Length);
        Assert.Equal(["'self'"], policy["style-src"]);
        Assert.Equal(["'none'"], policy["object-src"]);
        Assert.Equal(["'self'"], policy["base-uri"]);
        Assert.Equal(["'self'"], policy["frame-ancestors"]);
        Assert.Equal(["'self'"], policy["worker-src"]);
        // The page's origin, its WebSocket and the Sentry DSN's host (the test's envelope receiver), nothing else.
        var dsn = new Uri(fixture.Telemetry.SentryDsn);
        var sentryOrigin = $"{dsn.Scheme}://{dsn.Authority}";
        Assert.Equal(["'self'", $"ws://{Web.Authority}", sentryOrigin], policy["connect-src"]);
        // HSTS is for production, behind TLS; the test app runs in Development over http.
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Each_page_gets_its_own_nonce_and_only_Blazors_import_map_carries_it()
    {
        using var client = fixture.CreateHttpClient("webfrontend");
        var nonces = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync("/");
            var html = await response.Content.ReadAsStringAsync();
            var policyNonce = Directives(response.Headers.GetValues("Content-Security-Policy").Single())["script-src"][1]["'nonce-".Length..^1];
            var match = ImportMapNonce().Match(html);
            Assert.True(match.Success, "the import map carries a nonce");
            Assert.Equal(policyNonce, match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value);
            Assert.Single(Regex.Matches(html, "nonce="));
            nonces.Add(policyNonce);
        }

        Assert.NotEqual(nonces[0], nonces[1]);
    }

    [Fact]
    public async Task Reading_writing_commenting_and_live_updates_work_with_no_policy_violation()
    {
        await using var readerContext = await fixture.Browser.NewContextAsync(Web);
        await using var writerContext = await fixture.Browser.NewContextAsync(Web);
        await readerContext.AddInitScriptAsync(ViolationRecorder);
        await writerContext.AddInitScriptAsync(ViolationRecorder);
        var reader = await readerContext.NewPageAsync();
        var writer = await writerContext.NewPageAsync();
        var console = await RecordConsoleAsync(reader, writer);

        await WebPage.KeepEvidenceOnFailureAsync(writer, nameof(Reading_writing_commenting_and_live_updates_work_with_no_policy_violation), async () =>
        {
            await reader.GotoAsync("/");
            await WebPage.WaitUntilLiveAsync(reader);

            var email = $"csp-{Guid.NewGuid():N}@example.test";
            var password = $"pw-{Guid.NewGuid():N}";
            await writer.GotoAsync("/register");
            await writer.GetByLabel("Email").FillAsync(email);
            await writer.GetByLabel("Display name").FillAsync("Policy Writer");
            await writer.GetByLabel("Password").FillAsync(password);
            await writer.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
            await Expect(writer.GetByRole(AriaRole.Status)).ToContainTextAsync("Your account is ready");
            await writer.GetByLabel("Email").FillAsync(email);
            await writer.GetByLabel("Password").FillAsync(password);
            await writer.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Expect(writer.GetByTestId("signed-in-as")).ToBeVisibleAsync();

            var title = $"Policy post {Guid.NewGuid().ToString("N")[..8]}";
            await writer.GetByRole(AriaRole.Link, new() { Name = "New post" }).ClickAsync();
            await writer.GetByLabel("Title").FillAsync(title);
            await writer.GetByLabel("Body (Markdown)").FillAsync("Some **bold** words.");
            await writer.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
            await Expect(writer.GetByTestId("post-title")).ToHaveTextAsync(title);
            await Expect(writer.Locator("[data-testid=post-body] strong")).ToHaveTextAsync("bold");

            // Live update over the circuit's WebSocket: the open home page shows the new post without a reload.
            await Expect(reader.GetByTestId("post-list")).ToContainTextAsync(title, new() { Timeout = 20_000 });

            await WebPage.WaitUntilLiveAsync(writer);
            var comment = $"A comment under the policy {Guid.NewGuid().ToString("N")[..6]}";
            await writer.GetByLabel("Add a comment").FillAsync(comment);
            await writer.GetByRole(AriaRole.Button, new() { Name = "Comment" }).ClickAsync();
            await Expect(writer.GetByTestId("comments")).ToContainTextAsync(comment);

            await reader.GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
            await Expect(reader.GetByTestId("post-title")).ToHaveTextAsync(title);
            await Expect(reader.GetByTestId("comments")).ToContainTextAsync(comment);
            await writer.GotoAsync("/login");
            await Expect(writer.GetByRole(AriaRole.Heading).First).ToBeVisibleAsync();
        });

        foreach (var page in new[] { reader, writer })
        {
            Assert.Empty(await ViolationsAsync(page));
        }

        Assert.DoesNotContain(Snapshot(console), line => line.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task An_injected_inline_script_is_blocked_by_the_policy_and_reported_by_chromium()
    {
        await using var context = await fixture.Browser.NewContextAsync(Web);
        await context.AddInitScriptAsync(ViolationRecorder);
        var page = await context.NewPageAsync();
        var console = await RecordConsoleAsync(page);

        var response = await page.GotoAsync("/diagnostics/inline-script");
        Assert.Equal(200, response!.Status);
        await page.WaitForFunctionAsync("() => window.__cspViolations.length > 0");

        await Expect(page.Locator("#probe")).ToHaveTextAsync("The script below must not run.");
        var violation = Assert.Single(await ViolationsAsync(page));
        Assert.Equal("script-src-elem", violation.GetProperty("directive").GetString());
        Assert.Equal("inline", violation.GetProperty("blocked").GetString());
        Assert.Contains("script-src 'self' 'nonce-", violation.GetProperty("policy").GetString());
        await WaitFor.ConditionAsync(() => Task.FromResult(Snapshot(console).Any(line => line.StartsWith("error: Executing inline script violates the following Content Security Policy directive 'script-src 'self' 'nonce-", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "chromium's console report of the refused inline script");
    }

    [Fact]
    public async Task The_browser_Sentry_SDK_delivers_an_error_and_its_replay_under_the_policy()
    {
        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        var post = await author.CreatePostAsync();
        await using var context = await fixture.Browser.NewContextAsync(Web);
        await context.AddInitScriptAsync(ViolationRecorder);
        var page = await context.NewPageAsync();
        var console = await RecordConsoleAsync(page);
        var workers = new List<string>();
        page.Worker += (_, worker) => workers.Add(worker.Url);

        await page.GotoAsync($"/posts/{post.GetProperty("id").GetInt64()}");
        await WebPage.WaitUntilLiveAsync(page);
        await page.WaitForFunctionAsync("() => window.__SENTRY__ !== undefined");
        var marker = $"Error under the policy {Guid.NewGuid():N}";
        await page.EvaluateAsync($"() => setTimeout(() => {{ throw new Error('{marker}'); }}, 0)");

        var browserEnvelopes = () => fixture.Telemetry.SentryEnvelopes.Where(e => e.Contains("sentry.javascript.browser")).ToList();
        await WaitFor.ConditionAsync(() => Task.FromResult(browserEnvelopes().Any(e => e.Contains(marker))),
            TimeSpan.FromSeconds(30), "the browser error event");
        await WaitFor.ConditionAsync(() => Task.FromResult(browserEnvelopes().Any(e => e.Contains("\"type\":\"replay_recording\""))),
            TimeSpan.FromSeconds(30), "the replay recorded around the error");

        // The replay's compression worker is the app's own file, not a blob: URL the policy would refuse.
        Assert.Contains(workers, url => url.StartsWith(Web + "js/sentry-replay-worker", StringComparison.Ordinal));
        Assert.Empty(await ViolationsAsync(page));
        Assert.DoesNotContain(Snapshot(console), line => line.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<List<JsonElement>> ViolationsAsync(IPage page)
    {
        using var document = JsonDocument.Parse(await page.EvaluateAsync<string>("() => JSON.stringify(window.__cspViolations)"));
        return document.RootElement.EnumerateArray().Select(v => v.Clone()).ToList();
    }

    /// <summary>
    /// The pages' console, including chromium's own log entries (where it reports refused scripts and
    /// connections), which Playwright's console event does not carry.
    /// </summary>
    private static async Task<List<string>> RecordConsoleAsync(params IPage[] pages)
    {
        var lines = new List<string>();
        foreach (var page in pages)
        {
            page.Console += (_, message) => { lock (lines) lines.Add($"{message.Type}: {message.Text}"); };
            var cdp = await page.Context.NewCDPSessionAsync(page);
            cdp.Event("Log.entryAdded").OnEvent += (_, entry) =>
            {
                if (entry?.TryGetProperty("entry", out var log) == true)
                {
                    lock (lines) lines.Add($"{log.GetProperty("level").GetString()}: {log.GetProperty("text").GetString()}");
                }
            };
            await cdp.SendAsync("Log.enable");
        }

        return lines;
    }

    private static List<string> Snapshot(List<string> console)
    {
        lock (console)
        {
            return [.. console];
        }
    }

    private static string Header(HttpResponseMessage response, string name) =>
        Assert.Single(response.Headers.TryGetValues(name, out var values) ? values : Array.Empty<string>());

    private static Dictionary<string, string[]> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(parts => parts[0], parts => parts[1..]);
}
