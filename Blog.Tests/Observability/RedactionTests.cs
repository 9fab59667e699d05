using System.Net;
using System.Net.Http.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Observability;

/// <summary>
/// Classified values (Microsoft.Extensions.Compliance) that are logged come out redacted, on the console and
/// through the OTLP exporter alike (open-telemetry/opentelemetry-dotnet#5276: pooled redacted values used to
/// be read after they were returned, dropping or crashing the export).
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class RedactionTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task A_failed_login_logs_the_email_as_a_stable_keyed_hash_on_the_console_and_over_otlp()
    {
        var email = $"redaction-{Guid.NewGuid():N}@example.test";
        var otherEmail = $"redaction-{Guid.NewGuid():N}@example.test";
        var first = await FailLoginAsync(email);
        var second = await FailLoginAsync(email);
        var other = await FailLoginAsync(otherEmail);

        var hashes = new List<string>();
        foreach (var requestId in new[] { first, second, other })
        {
            var lines = await fixture.WaitForApiOutputAsync(l => l.Contains(requestId) && l.Contains("user.login_failed"), "the login_failed line");
            var line = LogLines.Parse(BlogAppFixture.ProcessText(Assert.Single(lines)));
            var hash = line.Get("email");
            Assert.False(string.IsNullOrEmpty(hash), $"no redacted email in {line}");
            Assert.DoesNotContain("@", hash);
            Assert.DoesNotContain("redaction-", hash);
            hashes.Add(hash);
        }

        Assert.Equal(hashes[0], hashes[1]);
        Assert.NotEqual(hashes[0], hashes[2]);

        // The same record over OTLP: the attribute arrives, holding the hash and not the email.
        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.Otlp.Any(p => p.Path == "/v1/logs" && p.Contains(other))),
            TimeSpan.FromSeconds(20), "the OTLP log records of the failed logins");
        var exported = fixture.Telemetry.Otlp.Where(p => p.Path == "/v1/logs" && p.Contains(first)).ToList();
        Assert.NotEmpty(exported);
        Assert.True(exported.Any(p => p.Contains(hashes[0])),
            $"hash {hashes[0]} missing from the OTLP log records; near 'email': {string.Join(" | ", exported.Select(p => Near(p.Text, "email")))}");
        Assert.DoesNotContain(fixture.Telemetry.Otlp, p => p.Contains(email) || p.Contains(otherEmail));
        Assert.DoesNotContain(fixture.ApiOutput, l => l.Contains(email, StringComparison.OrdinalIgnoreCase));
    }

    private static string Near(string text, string key)
    {
        var at = text.IndexOf(key, StringComparison.Ordinal);
        return at < 0 ? "(absent)" : new string(text.Substring(at, Math.Min(80, text.Length - at)).Select(c => char.IsControl(c) ? '.' : c).ToArray());
    }

    private async Task<string> FailLoginAsync(string email)
    {
        using var api = fixture.CreateHttpClient("apiservice");
        var requestId = $"redaction-test-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = JsonContent.Create(new { email, password = "not-the-password-1" }),
        };
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await api.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return requestId;
    }
}
