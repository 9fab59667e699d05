using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Api;

[Collection(BlogAppCollection.Name)]
public sealed class PostsApiTests(BlogAppFixture fixture)
{
    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    [Fact]
    public async Task Creating_a_post_returns_201_with_its_location_and_author()
    {
        var author = await ApiUser.RegisterAsync(Api, "Author One");
        using var response = await author.Client.PostAsJsonAsync("/api/posts", new { title = "Hello, World!", body = "First *post*." });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var post = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = post.GetProperty("id").GetInt64();
        Assert.Equal($"/api/posts/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("hello-world", post.GetProperty("slug").GetString());
        Assert.Equal(author.Id, post.GetProperty("authorId").GetInt64());
        Assert.Equal("Author One", post.GetProperty("authorName").GetString());

        var fetched = await author.Client.GetFromJsonAsync<JsonElement>($"/api/posts/{id}");
        Assert.Equal("First *post*.", fetched.GetProperty("body").GetString());
    }

    [Fact]
    public async Task The_post_list_is_paged_newest_first_with_authors()
    {
        var author = await ApiUser.RegisterAsync(Api, "Lister");
        var older = await author.CreatePostAsync("Older post");
        var newer = await author.CreatePostAsync("Newer post");

        using var api = Api();
        var page = await api.GetFromJsonAsync<JsonElement>("/api/posts?page=1&pageSize=2");

        Assert.Equal(1, page.GetProperty("page").GetInt32());
        Assert.Equal(2, page.GetProperty("pageSize").GetInt32());
        Assert.True(page.GetProperty("total").GetInt32() >= 2);
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(newer.GetProperty("id").GetInt64(), items[0].GetProperty("id").GetInt64());
        Assert.Equal(older.GetProperty("id").GetInt64(), items[1].GetProperty("id").GetInt64());
        foreach (var property in new[] { "id", "slug", "title", "authorId", "authorName", "createdAt", "updatedAt" })
        {
            Assert.True(items[0].TryGetProperty(property, out _), property);
        }

        Assert.False(items[0].TryGetProperty("body", out _));
    }

    [Fact]
    public async Task Page_size_is_capped_at_50_and_bad_paging_is_a_400()
    {
        using var api = Api();
        var page = await api.GetFromJsonAsync<JsonElement>("/api/posts?pageSize=500");
        Assert.Equal(50, page.GetProperty("pageSize").GetInt32());

        using var bad = await api.GetAsync("/api/posts?page=0");
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest);
        using var notANumber = await api.GetAsync("/api/posts?page=abc");
        await ProblemAssert.IsProblemAsync(notANumber, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_missing_post_is_a_404_problem()
    {
        using var api = Api();
        using var response = await api.GetAsync($"/api/posts/{long.MaxValue}");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("title", "")]
    [InlineData(null, "body")]
    public async Task Creating_a_post_with_an_empty_field_is_a_400(string? title, string body)
    {
        var author = await ApiUser.RegisterAsync(Api);
        using var response = await author.Client.PostAsJsonAsync("/api/posts", new { title, body });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Title_over_200_and_body_over_100000_characters_are_refused_but_the_limits_are_accepted()
    {
        var author = await ApiUser.RegisterAsync(Api);
        using var longTitle = await author.Client.PostAsJsonAsync("/api/posts", new { title = new string('t', 201), body = "b" });
        var problem = await ProblemAssert.IsProblemAsync(longTitle, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("title", out _));

        using var longBody = await author.Client.PostAsJsonAsync("/api/posts", new { title = "t", body = new string('b', 100_001) });
        problem = await ProblemAssert.IsProblemAsync(longBody, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("body", out _));

        using var atLimits = await author.Client.PostAsJsonAsync("/api/posts", new { title = new string('t', 200), body = new string('b', 100_000) });
        Assert.Equal(HttpStatusCode.Created, atLimits.StatusCode);
    }

    [Fact]
    public async Task An_update_is_visible_to_the_very_next_read()
    {
        var author = await ApiUser.RegisterAsync(Api);
        var post = await author.CreatePostAsync("Before the edit");
        var id = post.GetProperty("id").GetInt64();

        // Warm the caches (single post and list) so the next reads would be served from them.
        Assert.Equal("Before the edit", (await author.Client.GetFromJsonAsync<JsonElement>($"/api/posts/{id}")).GetProperty("title").GetString());
        await author.Client.GetFromJsonAsync<JsonElement>("/api/posts");

        using var update = await author.Client.PutAsJsonAsync($"/api/posts/{id}", new { title = "After the edit", body = "New body" });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);

        var read = await author.Client.GetFromJsonAsync<JsonElement>($"/api/posts/{id}");
        Assert.Equal("After the edit", read.GetProperty("title").GetString());
        Assert.Equal("New body", read.GetProperty("body").GetString());
        var list = await author.Client.GetFromJsonAsync<JsonElement>("/api/posts");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), p => p.GetProperty("title").GetString() == "After the edit");
    }

    [Fact]
    public async Task A_deleted_post_is_gone_from_the_next_read()
    {
        var author = await ApiUser.RegisterAsync(Api);
        var id = (await author.CreatePostAsync()).GetProperty("id").GetInt64();
        await author.Client.GetFromJsonAsync<JsonElement>($"/api/posts/{id}");

        using var deleted = await author.Client.DeleteAsync($"/api/posts/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        using var read = await author.Client.GetAsync($"/api/posts/{id}");
        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
    }

    [Fact]
    public async Task Another_users_post_cannot_be_changed_or_deleted()
    {
        var author = await ApiUser.RegisterAsync(Api);
        var intruder = await ApiUser.RegisterAsync(Api);
        var id = (await author.CreatePostAsync("Mine")).GetProperty("id").GetInt64();

        using var update = await intruder.Client.PutAsJsonAsync($"/api/posts/{id}", new { title = "Yours now", body = "x" });
        await ProblemAssert.IsProblemAsync(update, HttpStatusCode.Forbidden);
        using var delete = await intruder.Client.DeleteAsync($"/api/posts/{id}");
        await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.Forbidden);

        var still = await author.Client.GetFromJsonAsync<JsonElement>($"/api/posts/{id}");
        Assert.Equal("Mine", still.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Writing_without_a_token_is_401_and_on_a_missing_post_is_404()
    {
        using var anonymous = Api();
        using var create = await anonymous.PostAsJsonAsync("/api/posts", new { title = "t", body = "b" });
        await ProblemAssert.IsProblemAsync(create, HttpStatusCode.Unauthorized);

        var author = await ApiUser.RegisterAsync(Api);
        using var update = await author.Client.PutAsJsonAsync($"/api/posts/{long.MaxValue}", new { title = "t", body = "b" });
        await ProblemAssert.IsProblemAsync(update, HttpStatusCode.NotFound);
        using var delete = await author.Client.DeleteAsync($"/api/posts/{long.MaxValue}");
        await ProblemAssert.IsProblemAsync(delete, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem_and_unknown_fields_are_ignored()
    {
        var author = await ApiUser.RegisterAsync(Api);
        using var malformed = await author.Client.PostAsync("/api/posts",
            new StringContent("{\"title\": \"oops\", ", Encoding.UTF8, "application/json"));
        var problem = await ProblemAssert.IsProblemAsync(malformed, HttpStatusCode.BadRequest);
        Assert.Equal("Malformed request", problem.GetProperty("title").GetString());

        using var extra = await author.Client.PostAsJsonAsync("/api/posts", new { title = "Extra", body = "b", mood = "cheerful" });
        Assert.Equal(HttpStatusCode.Created, extra.StatusCode);
    }

    [Fact]
    public async Task A_body_over_1_MB_is_a_413_problem_and_nothing_is_stored()
    {
        var author = await ApiUser.RegisterAsync(Api);
        var title = $"Too big {Guid.NewGuid():N}";
        var json = JsonSerializer.Serialize(new { title, body = new string('x', 1_100_000) });
        // Expect: 100-continue lets the server refuse before the body is sent, as large uploads should.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/posts") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        using var response = await author.Client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        var list = await author.Client.GetFromJsonAsync<JsonElement>("/api/posts?pageSize=50");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), p => p.GetProperty("title").GetString() == title);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_posts_routes()
    {
        using var api = Api();
        var document = await api.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/posts", out _));
        Assert.True(paths.TryGetProperty("/api/posts/{id}", out _));
        Assert.True(paths.TryGetProperty("/api/auth/login", out _));

        // The fixture runs in Development, where the API reference UI is served too.
        using var reference = await api.GetAsync("/scalar");
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Equal("text/html", reference.Content.Headers.ContentType?.MediaType);
    }
}
