namespace Blog.ApiService.Posts;

public sealed partial class PostsLog(ILogger<PostsLog> logger)
{
    [LoggerMessage(EventId = 3000, EventName = "post.created", Level = LogLevel.Information,
        Message = "Post {post_id} created by user {user_id}: {title}")]
    public partial void Created(long post_id, long user_id, string title);

    [LoggerMessage(EventId = 3001, EventName = "post.updated", Level = LogLevel.Information,
        Message = "Post {post_id} updated by user {user_id}: {title}")]
    public partial void Updated(long post_id, long user_id, string title);

    [LoggerMessage(EventId = 3002, EventName = "post.deleted", Level = LogLevel.Information,
        Message = "Post {post_id} deleted by user {user_id}")]
    public partial void Deleted(long post_id, long user_id);

    [LoggerMessage(EventId = 3003, EventName = "post.forbidden", Level = LogLevel.Warning,
        Message = "User {user_id} may not change post {post_id}: not the author")]
    public partial void Forbidden(long post_id, long user_id);
}
