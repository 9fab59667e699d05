using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Blog.Tests.Api;

/// <summary>A freshly registered, logged-in user of the real API, with a client that sends its token.</summary>
public sealed record ApiUser(long Id, string DisplayName, string Email, string Password, string Token, HttpClient Client)
{
    public static async Task<ApiUser> RegisterAsync(Func<HttpClient> createClient, string? displayName = null)
    {
        var client = createClient();
        var email = $"user-{Guid.NewGuid():N}@example.test";
        var password = $"pw-{Guid.NewGuid():N}";
        displayName ??= $"Writer {Guid.NewGuid().ToString("N")[..6]}";

        using var registered = await client.PostAsJsonAsync("/api/users", new { email, displayName, password });
        Assert.Equal(System.Net.HttpStatusCode.Created, registered.StatusCode);
        var id = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        using var login = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        Assert.Equal(System.Net.HttpStatusCode.OK, login.StatusCode);
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return new ApiUser(id, displayName, email, password, token, client);
    }

    public async Task<JsonElement> CreatePostAsync(string? title = null, string body = "A body worth reading.")
    {
        using var response = await Client.PostAsJsonAsync("/api/posts", new { title = title ?? $"Post {Guid.NewGuid():N}", body });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}

public static class ProblemAssert
{
    /// <summary>Asserts an RFC 7807 answer with the status and a request id, and no exception text.</summary>
    public static async Task<JsonElement> IsProblemAsync(HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("   at ", text);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("requestId").GetString()));
        return problem;
    }
}
