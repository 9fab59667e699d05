using System.Net;
using System.Net.Http.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Api;

[Collection(BlogAppCollection.Name)]
public sealed class LiveApiTests(BlogAppFixture fixture)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    [Fact]
    public async Task A_live_client_hears_about_posts_created_updated_deleted_and_commented()
    {
        await using var live = await LiveClient.ConnectAsync(fixture.App.GetEndpoint("apiservice", "http"));
        var author = await ApiUser.RegisterAsync(Api);

        var post = await author.CreatePostAsync("Live news");
        var id = post.GetProperty("id").GetInt64();
        var created = await live.WaitForAsync(m => m.GetProperty("type").GetString() == "post.created" && m.GetProperty("postId").GetInt64() == id, EventTimeout);
        Assert.Equal("Live news", created.GetProperty("title").GetString());
        Assert.Equal(author.Id, created.GetProperty("authorId").GetInt64());
        Assert.False(created.TryGetProperty("body", out _));

        using var comment = await author.Client.PostAsJsonAsync($"/api/posts/{id}/comments", new { body = "Live comment" });
        var commented = await live.WaitForAsync(m => m.GetProperty("type").GetString() == "comment.created" && m.GetProperty("postId").GetInt64() == id, EventTimeout);
        Assert.True(commented.GetProperty("commentId").GetInt64() > 0);

        using var update = await author.Client.PutAsJsonAsync($"/api/posts/{id}", new { title = "Live news, updated", body = "b" });
        await live.WaitForAsync(m => m.GetProperty("type").GetString() == "post.updated" && m.GetProperty("title").GetString() == "Live news, updated", EventTimeout);

        using var delete = await author.Client.DeleteAsync($"/api/posts/{id}");
        await live.WaitForAsync(m => m.GetProperty("type").GetString() == "post.deleted" && m.GetProperty("postId").GetInt64() == id, EventTimeout);
    }

    [Fact]
    public async Task A_plain_http_request_to_the_live_feed_is_a_400_problem()
    {
        using var api = Api();
        using var response = await api.GetAsync("/api/live");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }
}
