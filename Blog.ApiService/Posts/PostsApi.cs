using Blog.ApiService.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Blog.ApiService.Posts;

public static class PostsApi
{
    public static IEndpointRouteBuilder MapPosts(this IEndpointRouteBuilder app)
    {
        var posts = app.MapGroup("/api/posts").WithTags("Posts");
        posts.MapGet("/", ListPosts);
        return app;
    }

    public static async Task<Ok<List<PostSummary>>> ListPosts(BlogDbContext db, CancellationToken ct)
    {
        var items = await db.Posts.AsNoTracking()
            .OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id)
            .Take(50)
            .Select(p => new PostSummary(p.Id, p.Slug, p.Title, p.CreatedAt, p.UpdatedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(items);
    }
}

public sealed record PostSummary(long Id, string Slug, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
