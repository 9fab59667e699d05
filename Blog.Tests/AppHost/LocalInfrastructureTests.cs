using Aspire.Hosting;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Npgsql;

namespace Blog.Tests.AppHost;

[Collection(BlogAppCollection.Name)]
public sealed class LocalInfrastructureTests(BlogAppFixture fixture)
{
    [Theory]
    [InlineData("postgres")]
    [InlineData("blogdb")]
    [InlineData("cache")]
    [InlineData("apiservice")]
    [InlineData("webfrontend")]
    public async Task Every_resource_reaches_healthy(string resource)
    {
        using var cts = new CancellationTokenSource(BlogAppFixture.StartTimeout);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
    }

    [Fact]
    public async Task Posts_api_answers_with_posts_stored_in_postgres()
    {
        var title = $"Stored by the skeleton test {Guid.NewGuid():N}";
        var id = await CreatePostAsync(title);

        using var api = fixture.CreateHttpClient("apiservice");
        using var response = await api.GetAsync("/api/posts");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(title, await response.Content.ReadAsStringAsync());
        Assert.Equal(title, await ReadTitleFromPostgresAsync(id));
    }

    [Fact]
    public async Task Web_home_page_shows_a_post_stored_in_postgres()
    {
        var title = $"Shown on the home page {Guid.NewGuid():N}";
        var id = await CreatePostAsync(title);
        Assert.Equal(title, await ReadTitleFromPostgresAsync(id));

        using var web = fixture.CreateHttpClient("webfrontend");
        using var response = await web.GetAsync("/");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(title, await response.Content.ReadAsStringAsync());
    }

    private async Task<long> CreatePostAsync(string title)
    {
        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        return (await author.CreatePostAsync(title)).GetProperty("id").GetInt64();
    }

    private async Task<string?> ReadTitleFromPostgresAsync(long id)
    {
        await using var connection = new NpgsqlConnection(await fixture.GetConnectionStringAsync("blogdb"));
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT title FROM posts WHERE id = @id", connection);
        select.Parameters.AddWithValue("id", id);
        return (string?)await select.ExecuteScalarAsync();
    }
}
