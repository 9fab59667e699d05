using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Blog.ApiService.Data;
using Blog.ApiService.Infrastructure;
using Blog.ApiService.Live;
using Blog.ApiService.RateLimiting;
using Blog.ApiService.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Blog.ApiService.Posts;

public static class PostsApi
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 50;

    public static IEndpointRouteBuilder MapPosts(this IEndpointRouteBuilder app)
    {
        var posts = app.MapGroup("/api/posts").WithTags("Posts").RequireRateLimiting(WriteRateLimits.Posts);
        posts.MapGet("/", ListPosts);
        posts.MapGet("/{id:long}", GetPost).WithName(nameof(GetPost));
        posts.MapPost("/", CreatePost).RequireAuthorization();
        posts.MapPut("/{id:long}", UpdatePost).RequireAuthorization();
        posts.MapDelete("/{id:long}", DeletePost).RequireAuthorization();
        return app;
    }

    public static async Task<Results<Ok<PostPage>, ValidationProblem>> ListPosts(
        BlogDbContext db, PostCache cache, CancellationToken ct, int page = 1, int pageSize = DefaultPageSize)
    {
        if (page < 1 || pageSize < 1)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [page < 1 ? "page" : "pageSize"] = ["Must be 1 or more."],
            });
        }

        pageSize = Math.Min(pageSize, MaxPageSize);
        var result = await cache.GetPageAsync(page, pageSize, async token =>
        {
            // The author's name comes in the same query (a join), never one query per post.
            var items = await db.Posts.AsNoTracking()
                .OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id)
                .Skip((page - 1) * pageSize).Take(pageSize)
                .Select(p => new PostSummary(p.Id, p.Slug, p.Title, p.AuthorId, p.Author!.DisplayName, p.CreatedAt, p.UpdatedAt))
                .ToListAsync(token);
            var total = await db.Posts.CountAsync(token);
            return new PostPage(items, page, pageSize, total);
        }, ct);
        return TypedResults.Ok(result);
    }

    public static async Task<Results<Ok<PostDetail>, NotFound>> GetPost(long id, BlogDbContext db, PostCache cache, CancellationToken ct)
    {
        var post = await cache.GetPostAsync(id, async token => await LoadDetailAsync(db, id, token), ct);
        return post is null ? TypedResults.NotFound() : TypedResults.Ok(post);
    }

    public static async Task<Results<Created<PostDetail>, ValidationProblem>> CreatePost(
        PostRequest request, ClaimsPrincipal principal, BlogDbContext db, PostCache cache, LiveFeed live,
        PostsLog log, TimeProvider clock, CancellationToken ct,
        [FromHeader(Name = IdempotencyKey.HeaderName)] string? idempotencyKey = null)
    {
        if ((Validate(request) ?? IdempotencyKey.Validate(idempotencyKey)) is { } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var userId = principal.UserId();
        if (idempotencyKey is not null && await FindByKeyAsync(db, userId, idempotencyKey, ct) is { } earlier)
        {
            return TypedResults.Created($"/api/posts/{earlier.Id}", earlier);
        }

        var now = clock.GetUtcNow();
        var post = new Post
        {
            AuthorId = userId,
            Title = request.Title!.Trim(),
            Slug = Slug.From(request.Title!),
            Body = request.Body!,
            CreatedAt = now,
            UpdatedAt = now,
            IdempotencyKey = idempotencyKey,
        };
        db.Posts.Add(post);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (idempotencyKey is not null && ex.IsUniqueViolation())
        {
            // The same key's first attempt committed meanwhile: a retry that overtook it, or EF retrying a
            // commit whose acknowledgement was lost. Either way the first write is the answer.
            var first = (await FindByKeyAsync(db, userId, idempotencyKey, ct))!;
            return TypedResults.Created($"/api/posts/{first.Id}", first);
        }

        log.Created(post.Id, userId, post.Title);
        await cache.InvalidatePostAsync(post.Id, ct);
        await live.PublishAsync(LiveEvent.PostCreated(post.Id, post.Title, userId), ct);

        var detail = (await LoadDetailAsync(db, post.Id, ct))!;
        return TypedResults.Created($"/api/posts/{post.Id}", detail);
    }

    public static async Task<Results<Ok<PostDetail>, ValidationProblem, NotFound, ProblemHttpResult>> UpdatePost(
        long id, PostRequest request, ClaimsPrincipal principal, BlogDbContext db, PostCache cache, LiveFeed live,
        PostsLog log, TimeProvider clock, CancellationToken ct)
    {
        if (Validate(request) is { } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var userId = principal.UserId();
        var title = request.Title!.Trim();
        var now = clock.GetUtcNow();
        var updated = await db.Posts.Where(p => p.Id == id && p.AuthorId == userId).ExecuteUpdateAsync(set => set
            .SetProperty(p => p.Title, title)
            .SetProperty(p => p.Slug, Slug.From(title))
            .SetProperty(p => p.Body, request.Body!)
            .SetProperty(p => p.UpdatedAt, now), ct);
        if (updated == 0)
        {
            return await db.Posts.AnyAsync(p => p.Id == id, ct) ? NotTheAuthor(log, id, userId) : TypedResults.NotFound();
        }

        log.Updated(id, userId, title);
        await cache.InvalidatePostAsync(id, ct);
        await live.PublishAsync(LiveEvent.PostUpdated(id, title, userId), ct);
        return TypedResults.Ok((await LoadDetailAsync(db, id, ct))!);
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeletePost(
        long id, ClaimsPrincipal principal, BlogDbContext db, PostCache cache, LiveFeed live, PostsLog log, CancellationToken ct)
    {
        var userId = principal.UserId();
        var deleted = await db.Posts.Where(p => p.Id == id && p.AuthorId == userId).ExecuteDeleteAsync(ct);
        if (deleted == 0)
        {
            return await db.Posts.AnyAsync(p => p.Id == id, ct) ? NotTheAuthor(log, id, userId) : TypedResults.NotFound();
        }

        log.Deleted(id, userId);
        await cache.InvalidatePostAsync(id, ct);
        await live.PublishAsync(LiveEvent.PostDeleted(id, userId), ct);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotTheAuthor(PostsLog log, long id, long userId)
    {
        log.Forbidden(id, userId);
        return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden,
            title: "Not your post", detail: "Only the author can change this post.");
    }

    private static Task<PostDetail?> LoadDetailAsync(BlogDbContext db, long id, CancellationToken ct) =>
        db.Posts.AsNoTracking().Where(p => p.Id == id)
            .Select(p => new PostDetail(p.Id, p.Slug, p.Title, p.Body, p.AuthorId, p.Author!.DisplayName, p.CreatedAt, p.UpdatedAt))
            .SingleOrDefaultAsync(ct);

    private static async Task<PostDetail?> FindByKeyAsync(BlogDbContext db, long userId, string key, CancellationToken ct) =>
        await db.Posts.AsNoTracking().Where(p => p.AuthorId == userId && p.IdempotencyKey == key)
            .Select(p => new PostDetail(p.Id, p.Slug, p.Title, p.Body, p.AuthorId, p.Author!.DisplayName, p.CreatedAt, p.UpdatedAt))
            .SingleOrDefaultAsync(ct);

    private static Dictionary<string, string[]>? Validate(PostRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        var title = request.Title?.Trim() ?? "";
        if (title.Length is 0 or > Post.TitleMaxLength)
        {
            errors["title"] = [$"The title must be 1 to {Post.TitleMaxLength} characters."];
        }

        if (string.IsNullOrWhiteSpace(request.Body) || request.Body.Length > Post.BodyMaxLength)
        {
            errors["body"] = [$"The body must be 1 to {Post.BodyMaxLength:N0} characters."];
        }

        return errors.Count > 0 ? errors : null;
    }
}

public sealed record PostRequest(string? Title, string? Body);

public sealed record PostSummary(long Id, string Slug, string Title, long AuthorId, string AuthorName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record PostDetail(long Id, string Slug, string Title, string Body, long AuthorId, string AuthorName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record PostPage(IReadOnlyList<PostSummary> Items, int Page, int PageSize, int Total);
