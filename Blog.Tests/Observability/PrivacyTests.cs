using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Blog.Tests.Observability;

[Collection(BlogAppCollection.Name)]
public sealed class PrivacyTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task A_known_email_password_and_token_never_reach_stdout_otlp_or_sentry()
    {
        var user = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"), "Private Person");
        await user.CreatePostAsync("A post by a private person");
        await user.Client.GetAsync("/api/users/me");
        var faultId = $"privacy-fault-{Guid.NewGuid():N}";
        using (var anonymous = fixture.CreateHttpClient("apiservice"))
        {
            // A failed login with the right email, and an error with the token attached.
            using var failedLogin = await anonymous.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password + "x" });
            Assert.Equal(HttpStatusCode.Unauthorized, failedLogin.StatusCode);
            using var fault = new HttpRequestMessage(HttpMethod.Get, "/api/diagnostics/fault");
            fault.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
            fault.Headers.Add("X-Request-Id", faultId);
            using var faulted = await anonymous.SendAsync(fault);
            Assert.Equal(HttpStatusCode.InternalServerError, faulted.StatusCode);
        }

        // The fault's own error event, so the sweep below includes what the token could have leaked into.
        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.SentryEnvelopes.SelectMany(ErrorTrackingTests.ErrorEvents)
                .Any(e => ErrorTrackingTests.Tag(e, "request_id") == faultId)),
            TimeSpan.FromSeconds(20), "the Sentry event of the fault request");

        // Let the exporters flush (batch delay 500 ms in the fixture): wait for a trace and logs of a later request.
        var marker = $"privacy-{Guid.NewGuid():N}";
        using (var api = fixture.CreateHttpClient("apiservice"))
        {
            using var last = new HttpRequestMessage(HttpMethod.Get, "/api/posts");
            last.Headers.Add("X-Request-Id", marker);
            using var response = await api.SendAsync(last);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await WaitForOtlpAsync(marker);
        await fixture.WaitForApiOutputAsync(l => l.Contains(marker), "the API's log line of the last request");

        AssertNowhere(user.Email, user.Password, user.Token);
    }

    [Fact]
    public async Task An_email_and_password_typed_into_the_web_frontend_never_reach_either_services_output_otlp_or_sentry()
    {
        var web = fixture.App.GetEndpoint("webfrontend", "http");
        var email = $"web-private-{Guid.NewGuid():N}@example.test";
        var password = $"pw-private-{Guid.NewGuid():N}";
        await using var context = await fixture.Browser.NewContextAsync(web);
        var page = await context.NewPageAsync();
        await WebPage.KeepEvidenceOnFailureAsync(page, nameof(An_email_and_password_typed_into_the_web_frontend_never_reach_either_services_output_otlp_or_sentry), async () =>
        {
            await page.GotoAsync("/register");
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Display name").FillAsync("Private Web Person");
            await page.GetByLabel("Password").FillAsync(password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your account is ready");

            // A wrong password first (the failure path is where values tend to get logged), then the right one.
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(password + "-wrong");
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Expect(page.GetByTestId("problem")).ToBeVisibleAsync();
            await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Private Web Person");
        });

        // Both services wrote and exported everything up to a later page view: its id is in both outputs.
        var marker = $"privacy-web-{Guid.NewGuid():N}";
        using (var client = fixture.CreateHttpClient("webfrontend"))
        {
            using var last = new HttpRequestMessage(HttpMethod.Get, "/");
            last.Headers.Add("X-Request-Id", marker);
            using var response = await client.SendAsync(last);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.WebOutput.Any(l => l.Contains(marker))),
            TimeSpan.FromSeconds(20), "the web frontend's log line of the last page view");
        await fixture.WaitForApiOutputAsync(l => l.Contains(marker), "the API's log line of the last page view");
        await WaitForOtlpAsync(marker);
        // The sweep reads output that exists: the web frontend logged the flow's requests.
        Assert.Contains(fixture.WebOutput, l => l.Contains("/login", StringComparison.Ordinal));

        AssertNowhere(email, password);
    }

    private async Task WaitForOtlpAsync(string marker)
    {
        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.Otlp.Any(p => p.Path == "/v1/traces" && p.Contains(marker))),
            TimeSpan.FromSeconds(20), "OTLP traces to arrive");
        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.Otlp.Any(p => p.Path == "/v1/logs" && p.Contains(marker))),
            TimeSpan.FromSeconds(20), "OTLP logs to arrive");
    }

    private void AssertNowhere(params string[] secrets)
    {
        Assert.NotEmpty(fixture.ApiOutput);
        Assert.NotEmpty(fixture.WebOutput);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(fixture.ApiOutput, line => line.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(fixture.WebOutput, line => line.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(fixture.Telemetry.Otlp, payload => payload.Contains(secret));
            Assert.DoesNotContain(fixture.Telemetry.SentryEnvelopes, payload => payload.Contains(secret));
        }
    }
}
