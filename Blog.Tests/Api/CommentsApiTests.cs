using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Api;

[Collection(BlogAppCollection.Name)]
public sealed class CommentsApiTests(BlogAppFixture fixture)
{
    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    [Fact]
    public async Task Comments_are_added_listed_oldest_first_and_deleted_by_their_author()
    {
        var author = await ApiUser.RegisterAsync(Api);
        var reader = await ApiUser.RegisterAsync(Api, "Reader");
        var postId = (await author.CreatePostAsync()).GetProperty("id").GetInt64();

        using var first = await reader.Client.PostAsJsonAsync($"/api/posts/{postId}/comments", new { body = "First!" });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var comment = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Reader", comment.GetProperty("authorName").GetString());
        using var second = await author.Client.PostAsJsonAsync($"/api/posts/{postId}/comments", new { body = "Thanks" });
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);

        using var anonymous = Api();
        var listed = await anonymous.GetFromJsonAsync<JsonElement>($"/api/posts/{postId}/comments");
        Assert.Equal(["First!", "Thanks"], listed.EnumerateArray().Select(c => c.GetProperty("body").GetString()));

        var commentId = comment.GetProperty("id").GetInt64();
        using var forbidden = await author.Client.DeleteAsync($"/api/comments/{commentId}");
        await ProblemAssert.IsProblemAsync(forbidden, HttpStatusCode.Forbidden);
        using var deleted = await reader.Client.DeleteAsync($"/api/comments/{commentId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var again = await reader.Client.DeleteAsync($"/api/comments/{commentId}");
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound);

        listed = await anonymous.GetFromJsonAsync<JsonElement>($"/api/posts/{postId}/comments");
        Assert.Equal(["Thanks"], listed.EnumerateArray().Select(c => c.GetProperty("body").GetString()));
    }

    [Fact]
    public async Task Commenting_needs_a_token_a_body_and_an_existing_post()
    {
        var user = await ApiUser.RegisterAsync(Api);
        var postId = (await user.CreatePostAsync()).GetProperty("id").GetInt64();

        using var anonymous = Api();
        using var noToken = await anonymous.PostAsJsonAsync($"/api/posts/{postId}/comments", new { body = "hi" });
        await ProblemAssert.IsProblemAsync(noToken, HttpStatusCode.Unauthorized);
        using var empty = await user.Client.PostAsJsonAsync($"/api/posts/{postId}/comments", new { body = " " });
        await ProblemAssert.IsProblemAsync(empty, HttpStatusCode.BadRequest);
        using var missing = await user.Client.PostAsJsonAsync($"/api/posts/{long.MaxValue}/comments", new { body = "hi" });
        await ProblemAssert.IsProblemAsync(missing, HttpStatusCode.NotFound);
        using var listMissing = await anonymous.GetAsync($"/api/posts/{long.MaxValue}/comments");
        await ProblemAssert.IsProblemAsync(listMissing, HttpStatusCode.NotFound);
    }
}
