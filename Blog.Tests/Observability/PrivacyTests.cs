using System.Net.Http.Headers;
using System.Net.Http.Json;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;

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
        using (var anonymous = fixture.CreateHttpClient("apiservice"))
        {
            // A failed login with the right email, and an error with the token attached.
            await anonymous.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password + "x" });
            using var fault = new HttpRequestMessage(HttpMethod.Get, "/api/diagnostics/fault");
            fault.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
            await anonymous.SendAsync(fault);
        }

        // Let the exporters flush (batch delay 500 ms in the fixture): wait for a trace of the fault.
        var marker = $"privacy-{Guid.NewGuid():N}";
        using (var api = fixture.CreateHttpClient("apiservice"))
        {
            using var last = new HttpRequestMessage(HttpMethod.Get, "/api/posts");
            last.Headers.Add("X-Request-Id", marker);
            await api.SendAsync(last);
        }

        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.Otlp.Any(p => p.Path == "/v1/traces" && p.Contains(marker))),
            TimeSpan.FromSeconds(20), "OTLP traces to arrive");
        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.Otlp.Any(p => p.Path == "/v1/logs" && p.Contains(marker))),
            TimeSpan.FromSeconds(20), "OTLP logs to arrive");

        var secrets = new[] { user.Email, user.Password, user.Token };
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(fixture.ApiOutput, line => line.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(fixture.Telemetry.Otlp, payload => payload.Contains(secret));
            Assert.DoesNotContain(fixture.Telemetry.SentryEnvelopes, payload => payload.Contains(secret));
        }
    }
}
