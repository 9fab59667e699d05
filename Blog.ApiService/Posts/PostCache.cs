using Microsoft.Extensions.Caching.Hybrid;

namespace Blog.ApiService.Posts;

/// <summary>
/// Cache keys and invalidation for posts, in one place so every write invalidates what it changed.
/// HybridCache keeps a short in-process copy in front of Redis; other replicas drop theirs when the
/// live feed tells them about the write (see LiveFeed).
/// </summary>
public sealed partial class PostCache(HybridCache cache, ILogger<PostCache> logger)
{
    private const string ListTag = "post-list";

    private static readonly HybridCacheEntryOptions EntryOptions = new()
    {
        Expiration = TimeSpan.FromMinutes(5),
        LocalCacheExpiration = TimeSpan.FromSeconds(30),
    };

    public async Task<PostDetail?> GetPostAsync(long id, Func<CancellationToken, ValueTask<PostDetail?>> load, CancellationToken ct)
    {
        var key = PostKey(id);
        var post = await cache.GetOrCreateAsync(key, load, EntryOptions, cancellationToken: ct);
        if (post is null)
        {
            // Do not remember a miss: the id may be created a moment later.
            await cache.RemoveAsync(key, ct);
        }

        return post;
    }

    public ValueTask<PostPage> GetPageAsync(int page, int pageSize, Func<CancellationToken, ValueTask<PostPage>> load, CancellationToken ct) =>
        cache.GetOrCreateAsync($"posts:page:{page}:{pageSize}", load, EntryOptions, [ListTag], ct);

    /// <summary>
    /// Drops the post and every list page. The in-process copy always goes; if Redis cannot be reached
    /// the write still succeeds and the Redis copy ages out within <see cref="EntryOptions"/>'s expiration.
    /// </summary>
    public async Task InvalidatePostAsync(long id, CancellationToken ct = default)
    {
        try
        {
            await cache.RemoveAsync(PostKey(id), ct);
            await cache.RemoveByTagAsync(ListTag, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            InvalidationFailed(logger, id, ex.GetType().Name);
        }
    }

    private static string PostKey(long id) => $"post:{id}";

    [LoggerMessage(EventId = 3100, EventName = "cache.invalidation_failed", Level = LogLevel.Warning,
        Message = "Could not invalidate cached post {post_id} in Redis ({error_type}); it expires on its own")]
    private static partial void InvalidationFailed(ILogger logger, long post_id, string error_type);
}
