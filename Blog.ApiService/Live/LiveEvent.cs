using System.Text.Json;
using System.Text.Json.Serialization;

namespace Blog.ApiService.Live;

/// <summary>A message on the live feed: ids and the title only, never a body or anything personal.</summary>
public sealed record LiveEvent(
    string Type,
    long PostId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? CommentId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title,
    long AuthorId)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static LiveEvent PostCreated(long postId, string title, long authorId) => new("post.created", postId, null, title, authorId);

    public static LiveEvent PostUpdated(long postId, string title, long authorId) => new("post.updated", postId, null, title, authorId);

    public static LiveEvent PostDeleted(long postId, long authorId) => new("post.deleted", postId, null, null, authorId);

    public static LiveEvent CommentCreated(long postId, long commentId, long authorId) => new("comment.created", postId, commentId, null, authorId);

    public bool ChangesPost => Type is "post.created" or "post.updated" or "post.deleted";
}
