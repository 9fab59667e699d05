using System.Security.Claims;
using Blog.ApiService.Data;
using Blog.ApiService.Infrastructure;
using Blog.ApiService.Live;
using Blog.ApiService.RateLimiting;
using Blog.ApiService.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Blog.ApiService.Comments;

public static class CommentsApi
{
    public static IEndpointRouteBuilder MapComments(this IEndpointRouteBuilder app)
    {
        var onPost = app.MapGroup("/api/posts/{postId:long}/comments").WithTags("Comments").RequireRateLimiting(WriteRateLimits.Comments);
        onPost.MapGet("/", ListComments);
        onPost.MapPost("/", CreateComment).RequireAuthorization();

        app.MapGroup("/api/comments").WithTags("Comments")
            .MapDelete("/{id:long}", DeleteComment).RequireAuthorization();
        return app;
    }

    public static async Task<Results<Ok<List<CommentResponse>>, NotFound>> ListComments(long postId, BlogDbContext db, CancellationToken ct)
    {
        if (!await db.Posts.AnyAsync(p => p.Id == postId, ct))
        {
            return TypedResults.NotFound();
        }

        var comments = await db.Comments.AsNoTracking()
            .Where(c => c.PostId == postId)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
            .Select(c => new CommentResponse(c.Id, c.PostId, c.AuthorId, c.Author!.DisplayName, c.Body, c.CreatedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(comments);
    }

    public static async Task<Results<Created<CommentResponse>, ValidationProblem, NotFound>> CreateComment(
        long postId, CommentRequest request, ClaimsPrincipal principal, BlogDbContext db, LiveFeed live,
        CommentsLog log, TimeProvider clock, CancellationToken ct,
        [FromHeader(Name = IdempotencyKey.HeaderName)] string? idempotencyKey = null)
    {
        if (string.IsNullOrWhiteSpace(request.Body) || request.Body.Length > Comment.BodyMaxLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["body"] = [$"The comment must be 1 to {Comment.BodyMaxLength:N0} characters."],
            });
        }

        if (IdempotencyKey.Validate(idempotencyKey) is { } keyErrors)
        {
            return TypedResults.ValidationProblem(keyErrors);
        }

        if (!await db.Posts.AnyAsync(p => p.Id == postId, ct))
        {
            return TypedResults.NotFound();
        }

        var userId = principal.UserId();
        if (idempotencyKey is not null && await FindByKeyAsync(db, userId, idempotencyKey, ct) is { } earlier)
        {
            return TypedResults.Created($"/api/posts/{earlier.PostId}/comments/{earlier.Id}", earlier);
        }

        var comment = new Comment
        {
            PostId = postId, AuthorId = userId, Body = request.Body, CreatedAt = clock.GetUtcNow(), IdempotencyKey = idempotencyKey,
        };
        db.Comments.Add(comment);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (idempotencyKey is not null && ex.IsUniqueViolation())
        {
            // The same key's first attempt committed meanwhile; the first write is the answer.
            var first = (await FindByKeyAsync(db, userId, idempotencyKey, ct))!;
            return TypedResults.Created($"/api/posts/{first.PostId}/comments/{first.Id}", first);
        }

        log.Created(comment.Id, postId, userId);
        await live.PublishAsync(LiveEvent.CommentCreated(postId, comment.Id, userId), ct);

        var authorName = await db.Users.Where(u => u.Id == userId).Select(u => u.DisplayName).SingleAsync(ct);
        return TypedResults.Created($"/api/posts/{postId}/comments/{comment.Id}",
            new CommentResponse(comment.Id, postId, userId, authorName, comment.Body, comment.CreatedAt));
    }

    private static Task<CommentResponse?> FindByKeyAsync(BlogDbContext db, long userId, string key, CancellationToken ct) =>
        db.Comments.AsNoTracking().Where(c => c.AuthorId == userId && c.IdempotencyKey == key)
            .Select(c => new CommentResponse(c.Id, c.PostId, c.AuthorId, c.Author!.DisplayName, c.Body, c.CreatedAt))
            .SingleOrDefaultAsync(ct);

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteComment(
        long id, ClaimsPrincipal principal, BlogDbContext db, CommentsLog log, CancellationToken ct)
    {
        var userId = principal.UserId();
        if (await db.Comments.Where(c => c.Id == id && c.AuthorId == userId).ExecuteDeleteAsync(ct) > 0)
        {
            log.Deleted(id, userId);
            return TypedResults.NoContent();
        }

        if (!await db.Comments.AnyAsync(c => c.Id == id, ct))
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden,
            title: "Not your comment", detail: "Only the author can delete this comment.");
    }
}

public sealed record CommentRequest(string? Body);

public sealed record CommentResponse(long Id, long PostId, long AuthorId, string AuthorName, string Body, DateTimeOffset CreatedAt);

public sealed partial class CommentsLog(ILogger<CommentsLog> logger)
{
    [LoggerMessage(EventId = 4000, EventName = "comment.created", Level = LogLevel.Information,
        Message = "Comment {comment_id} on post {post_id} created by user {user_id}")]
    public partial void Created(long comment_id, long post_id, long user_id);

    [LoggerMessage(EventId = 4001, EventName = "comment.deleted", Level = LogLevel.Information,
        Message = "Comment {comment_id} deleted by user {user_id}")]
    public partial void Deleted(long comment_id, long user_id);
}
