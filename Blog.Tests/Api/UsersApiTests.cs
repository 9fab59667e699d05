using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Api;

[Collection(BlogAppCollection.Name)]
public sealed class UsersApiTests(BlogAppFixture fixture)
{
    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    [Fact]
    public async Task Registering_returns_the_new_id_and_display_name_but_not_the_email()
    {
        using var api = Api();
        var email = $"new-{Guid.NewGuid():N}@example.test";
        using var response = await api.PostAsJsonAsync("/api/users", new { email, displayName = "Ada", password = "correct horse battery" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("id").GetInt64() > 0);
        Assert.Equal("Ada", body.GetProperty("displayName").GetString());
        Assert.DoesNotContain(email, body.GetRawText());
    }

    [Fact]
    public async Task Registering_an_email_twice_in_another_case_is_a_conflict()
    {
        using var api = Api();
        var email = $"twice-{Guid.NewGuid():N}@example.test";
        using var first = await api.PostAsJsonAsync("/api/users", new { email, displayName = "One", password = "long enough password" });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var second = await api.PostAsJsonAsync("/api/users", new { email = email.ToUpperInvariant(), displayName = "Two", password = "long enough password" });
        await ProblemAssert.IsProblemAsync(second, HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("valid@example.test", "short", "password")]
    [InlineData("not-an-email", "long enough password", "email")]
    [InlineData("", "long enough password", "email")]
    public async Task Registering_with_a_bad_field_is_a_400_naming_the_field(string email, string password, string field)
    {
        using var api = Api();
        using var response = await api.PostAsJsonAsync("/api/users", new { email, displayName = "Bad", password });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
    }

    [Fact]
    public async Task Login_returns_a_bearer_token_with_its_expiry()
    {
        var user = await ApiUser.RegisterAsync(Api);
        using var api = Api();
        using var response = await api.PostAsJsonAsync("/api/auth/login", new { email = user.Email.ToUpperInvariant(), password = user.Password });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Bearer", body.GetProperty("tokenType").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("accessToken").GetString()));
        Assert.True(body.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Wrong_password_and_unknown_email_get_the_same_401()
    {
        var user = await ApiUser.RegisterAsync(Api);
        using var api = Api();
        using var wrongPassword = await api.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = "not the password" });
        using var unknownEmail = await api.PostAsJsonAsync("/api/auth/login", new { email = $"nobody-{Guid.NewGuid():N}@example.test", password = "not the password" });

        var a = await ProblemAssert.IsProblemAsync(wrongPassword, HttpStatusCode.Unauthorized);
        var b = await ProblemAssert.IsProblemAsync(unknownEmail, HttpStatusCode.Unauthorized);
        Assert.Equal(a.GetProperty("title").GetString(), b.GetProperty("title").GetString());
        Assert.Equal(a.GetProperty("detail").GetString(), b.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Repeated_failed_logins_are_throttled_with_retry_after_even_for_the_right_password()
    {
        var user = await ApiUser.RegisterAsync(Api);
        using var api = Api();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var failed = await api.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = "guess " + attempt });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var throttled = await api.PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password });
        await ProblemAssert.IsProblemAsync(throttled, HttpStatusCode.TooManyRequests);
        Assert.True(throttled.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {throttled.Headers.RetryAfter}");

        // Other accounts from the same client are unaffected.
        var other = await ApiUser.RegisterAsync(Api);
        Assert.NotNull(other.Token);
    }

    [Fact]
    public async Task Me_returns_the_signed_in_user()
    {
        var user = await ApiUser.RegisterAsync(Api, "Grace");
        var me = await user.Client.GetFromJsonAsync<JsonElement>("/api/users/me");

        Assert.Equal(user.Id, me.GetProperty("id").GetInt64());
        Assert.Equal("Grace", me.GetProperty("displayName").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-jwt")]
    [InlineData("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLW1hZGUtdXA")]
    public async Task Me_without_a_valid_token_is_401_problem(string? token)
    {
        using var api = Api();
        if (token is not null)
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await api.GetAsync("/api/users/me");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }
}
