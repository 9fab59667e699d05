using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Blog.Tests.Infrastructure;
using Blog.Tests.Observability;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Blog.Tests.Api;

/// <summary>
/// A sweep of hostile and broken input over every endpoint: whatever a client sends, the answer is a 4xx
/// problem with a request id (never a 5xx), the service stays healthy, and none of it reaches Sentry.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class BadInputTests(BlogAppFixture fixture)
{
    private readonly string _marker = $"bad-input-{Guid.NewGuid():N}";
    private int _sent;

    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    /// <summary>Bodies no endpoint can accept: broken JSON, wrong shapes and types, absurd numbers, deep nesting, invalid UTF-8.</summary>
    private static IEnumerable<(string What, byte[] Body)> BadBodies()
    {
        static (string, byte[]) Text(string what, string body) => (what, Encoding.UTF8.GetBytes(body));
        yield return Text("truncated JSON", "{\"title\": \"a");
        yield return Text("not JSON", "title=a&body=b");
        yield return Text("an empty body", "");
        yield return Text("JSON null", "null");
        yield return Text("an array", "[1, 2, 3]");
        yield return Text("a bare string", "\"hello\"");
        yield return Text("wrong types", "{\"title\": 12, \"body\": true, \"email\": [], \"password\": {}, \"displayName\": 1.5}");
        yield return Text("a number out of any range", "{\"title\": 1e999, \"body\": 99999999999999999999999999999999999999, \"email\": -1e999}");
        yield return Text("deep nesting", "{\"title\": " + new string('[', 5000) + new string(']', 5000) + "}");
        yield return Text("a trailing comma and comments", "{\"title\": \"a\", /* c */ \"body\": \"b\",}");
        byte[] invalid = [0xFF, 0xFE, 0xC0, 0xAF];
        yield return ("invalid UTF-8", [.. "{\"title\": \""u8, .. invalid, .. "\", \"body\": \""u8, .. invalid, .. "\", \"email\": \""u8, .. invalid,
            .. "\", \"password\": \""u8, .. invalid, .. "\", \"displayName\": \""u8, .. invalid, .. "\"}"u8]);
        yield return ("a NUL byte and lone surrogate escapes", Encoding.UTF8.GetBytes("{\"title\": \"\\u0000\\ud800\", \"body\": \"\\udfff\", \"email\": \"\\u0000@x\", \"password\": \"\\ud800\", \"displayName\": \"\\u0000\"}"));
    }

    [Fact]
    public async Task Every_endpoint_answers_bad_input_with_a_4xx_problem_stays_healthy_and_reports_nothing_to_sentry()
    {
        var author = await ApiUser.RegisterAsync(Api);
        var postId = (await author.CreatePostAsync("Target of bad input")).GetProperty("id").GetInt64();
        var failures = new List<string>();

        // Bodies, to every endpoint that reads one, as JSON and as the wrong media type.
        var bodyEndpoints = new (HttpMethod Method, string Path, bool Auth)[]
        {
            (HttpMethod.Post, "/api/users", false),
            (HttpMethod.Post, "/api/auth/login", false),
            (HttpMethod.Post, "/api/posts", true),
            (HttpMethod.Put, $"/api/posts/{postId}", true),
            (HttpMethod.Post, $"/api/posts/{postId}/comments", true),
        };
        foreach (var (method, path, auth) in bodyEndpoints)
        {
            foreach (var (what, body) in BadBodies())
            {
                await ExpectProblemAsync(failures, $"{method} {path} with {what}", method, path, auth ? author.Token : null, body, "application/json");
            }

            await ExpectProblemAsync(failures, $"{method} {path} as text/plain", method, path, auth ? author.Token : null,
                "{\"title\":\"a\",\"body\":\"b\"}"u8.ToArray(), "text/plain");
        }

        // Route values and query strings: out of range, odd encodings, repeated.
        string[] paths =
        [
            "/api/posts/99999999999999999999999", "/api/posts/-1", "/api/posts/0x10", "/api/posts/1%00", "/api/posts/%2e%2e%2f%2e%2e%2fetc",
            "/api/posts/%C0%AE", $"/api/posts/{postId}/comments/../../..", "/api/posts/1e3/comments", "/api/comments/18446744073709551616",
            "/api/posts?page=0", "/api/posts?page=-1", "/api/posts?page=2147483648", "/api/posts?pageSize=abc", "/api/posts?page=%FF%FE",
            "/api/posts?page=%", "/api/posts?page=1%00", "/api/posts?page=%EF%BC%91", "/api/posts?page=1&page=2", "/api/posts?page=1e3",
            "/api/posts?pageSize=" + new string('9', 4000), "/api/live", "/api/users/me", "/api/nothing-here",
        ];
        foreach (var path in paths)
        {
            await ExpectNoServerErrorAsync(failures, $"GET {path}", HttpMethod.Get, path, null);
        }

        await ExpectNoServerErrorAsync(failures, "DELETE /api/posts (no id)", HttpMethod.Delete, "/api/posts", author.Token);
        await ExpectNoServerErrorAsync(failures, "PATCH a post", HttpMethod.Patch, $"/api/posts/{postId}", author.Token);

        // Headers: one huge, many repeated, a repeated Authorization.
        await ExpectNoServerErrorAsync(failures, "a 64 KB header", HttpMethod.Get, "/api/posts", null,
            request => request.Headers.TryAddWithoutValidation("X-Huge", new string('a', 64 * 1024)));
        await ExpectNoServerErrorAsync(failures, "a header repeated 500 times", HttpMethod.Get, "/api/posts", null,
            request => request.Headers.TryAddWithoutValidation("X-Repeated", Enumerable.Repeat("a", 500)));
        await ExpectNoServerErrorAsync(failures, "two Authorization headers", HttpMethod.Get, "/api/users/me", null,
            request => request.Headers.TryAddWithoutValidation("Authorization", [$"Bearer {author.Token}", "Bearer other"]));
        await ExpectNoServerErrorAsync(failures, "an unsafe request id", HttpMethod.Get, "/api/posts", null,
            request => request.Headers.TryAddWithoutValidation("X-Request-Id", "<script>" + new string('x', 300)));

        // Tokens that must not authenticate, on every endpoint that requires one.
        var key = await SigningKeyAsync();
        var deleted = await ApiUser.RegisterAsync(Api);
        await DeleteUserAsync(deleted.Id);
        var now = DateTimeOffset.UtcNow;
        var tokens = new (string What, string Token)[]
        {
            ("an expired token", Jwt(key, author.Id, now.AddHours(-2), now.AddHours(-1))),
            ("a token signed with another key", Jwt(RandomNumberGenerator.GetBytes(48), author.Id, now, now.AddHours(1))),
            ("an alg:none token", Jwt(null, author.Id, now, now.AddHours(1))),
            ("a token for another issuer", Jwt(key, author.Id, now, now.AddHours(1), issuer: "someone-else")),
            ("a token that is not a JWT", "not.a.jwt"),
            ("a token for a deleted user", deleted.Token),
        };
        foreach (var (what, token) in tokens)
        {
            foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
            {
                (HttpMethod.Get, "/api/users/me", null),
                (HttpMethod.Post, "/api/posts", "{\"title\":\"t\",\"body\":\"b\"}"),
                (HttpMethod.Put, $"/api/posts/{postId}", "{\"title\":\"t\",\"body\":\"b\"}"),
                (HttpMethod.Delete, $"/api/posts/{postId}", null),
                (HttpMethod.Post, $"/api/posts/{postId}/comments", "{\"body\":\"b\"}"),
                (HttpMethod.Delete, "/api/comments/1", null),
            })
            {
                await ExpectProblemAsync(failures, $"{method} {path} with {what}", method, path, token,
                    body is null ? null : Encoding.UTF8.GetBytes(body), "application/json");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {_sent} bad requests were mishandled:\n" + string.Join("\n", failures));

        // The post survived, the service is healthy.
        using var api = Api();
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/api/posts/{postId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/health")).StatusCode);

        // Sentry's transport sends in order: once a later, deliberate error has arrived, anything the bad input
        // had caused would have arrived before it.
        var last = $"{_marker}-last";
        using (var fault = new HttpRequestMessage(HttpMethod.Get, "/api/diagnostics/fault"))
        {
            fault.Headers.Add("X-Request-Id", last);
            await api.SendAsync(fault);
        }

        await WaitFor.ConditionAsync(() => Task.FromResult(fixture.Telemetry.SentryEnvelopes.Any(e => e.Contains(last))),
            TimeSpan.FromSeconds(20), "the deliberate error's Sentry event");
        var fromBadInput = fixture.Telemetry.SentryEnvelopes.SelectMany(Events)
            .Where(e => e.GetRawText().Contains(_marker, StringComparison.Ordinal) && !e.GetRawText().Contains(last, StringComparison.Ordinal))
            .Select(e => e.GetRawText()).ToList();
        Assert.True(fromBadInput.Count == 0, "Sentry events from bad input:\n" + string.Join("\n", fromBadInput));
    }

    /// <summary>Bad input must get a 4xx problem+json with a request id.</summary>
    private async Task ExpectProblemAsync(List<string> failures, string what, HttpMethod method, string path, string? token, byte[]? body, string mediaType)
    {
        var (status, contentType, text, _) = await SendAsync(method, path, token, request =>
        {
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            }
        });
        if (status is < 400 or >= 500 || !IsProblem(contentType, text))
        {
            failures.Add($"{what}: {status} {contentType} {Shorten(text)}");
        }
    }

    /// <summary>
    /// Odd but harmless input may succeed (unknown query values are ignored); it must never be a 5xx, and an
    /// error from the app must be a problem. Kestrel refuses some input (oversized headers, a NUL in the path)
    /// before the app runs, with a bare 4xx: such answers carry no X-Request-Id.
    /// </summary>
    private async Task ExpectNoServerErrorAsync(List<string> failures, string what, HttpMethod method, string path, string? token,
        Action<HttpRequestMessage>? prepare = null)
    {
        var (status, contentType, text, fromApp) = await SendAsync(method, path, token, prepare ?? (_ => { }));
        if (status >= 500 || status == 0 || (status >= 400 && fromApp && !IsProblem(contentType, text)))
        {
            failures.Add($"{what}: {status} {contentType} {Shorten(text)}");
        }
    }

    private async Task<(int Status, string? ContentType, string Text, bool FromApp)> SendAsync(HttpMethod method, string path, string? token, Action<HttpRequestMessage> prepare)
    {
        using var client = Api();
        using var request = new HttpRequestMessage(method, new Uri(client.BaseAddress!, path));
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        }

        request.Headers.TryAddWithoutValidation("X-Request-Id", $"{_marker}-{Interlocked.Increment(ref _sent)}");
        prepare(request);
        try
        {
            using var response = await client.SendAsync(request);
            return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(),
                response.Headers.Contains("X-Request-Id"));
        }
        catch (HttpRequestException ex)
        {
            return (0, null, ex.Message, false);
        }
    }

    private static bool IsProblem(string? contentType, string text)
    {
        if (contentType != "application/problem+json" || text.Contains("Exception", StringComparison.Ordinal) || text.Contains("   at ", StringComparison.Ordinal))
        {
            return false;
        }

        var problem = JsonDocument.Parse(text).RootElement;
        return problem.TryGetProperty("requestId", out var id) && id.GetString() is { Length: > 0 };
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private static IEnumerable<JsonElement> Events(ReceivedPayload envelope)
    {
        foreach (var line in envelope.Text.Split('\n'))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            JsonElement item;
            try
            {
                item = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }

            if (item.TryGetProperty("event_id", out _) && !(item.TryGetProperty("type", out var type) && type.GetString() == "transaction"))
            {
                yield return item;
            }
        }
    }

    private async Task<byte[]> SigningKeyAsync()
    {
        var parameter = fixture.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(p => p.Name == "jwt-signing-key");
        return Encoding.UTF8.GetBytes(await parameter.GetValueAsync(CancellationToken.None) ?? "");
    }

    private async Task DeleteUserAsync(long id)
    {
        await using var db = new NpgsqlConnection(await fixture.GetConnectionStringAsync("blogdb"));
        await db.OpenAsync();
        await using var delete = new NpgsqlCommand("DELETE FROM users WHERE id = @id", db);
        delete.Parameters.AddWithValue("id", id);
        Assert.Equal(1, await delete.ExecuteNonQueryAsync());
    }

    /// <summary>A JWT as the API issues them (HS256, its issuer and audience), or unsigned with alg:none when <paramref name="key"/> is null.</summary>
    private static string Jwt(byte[]? key, long subject, DateTimeOffset notBefore, DateTimeOffset expires, string issuer = "blog-api")
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = key is null ? "none" : "HS256", typ = "JWT" }));
        var payload = B64(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["sub"] = subject.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["name"] = "Forged",
            ["iss"] = issuer,
            ["aud"] = "blog",
            ["nbf"] = notBefore.ToUnixTimeSeconds(),
            ["iat"] = notBefore.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
        }));
        var signature = key is null ? "" : B64(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }
}
