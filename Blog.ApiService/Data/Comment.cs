using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Blog.ApiService.Data;

public sealed class Comment
{
    public const int BodyMaxLength = 10_000;

    public long Id { get; set; }
    public long PostId { get; set; }
    public long AuthorId { get; set; }
    public User? Author { get; set; }
    public required string Body { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The creating request's Idempotency-Key, unique per author, so a retried create finds its first write.</summary>
    public string? IdempotencyKey { get; set; }
}

internal sealed class CommentConfiguration : IEntityTypeConfiguration<Comment>
{
    public void Configure(EntityTypeBuilder<Comment> comment)
    {
        comment.ToTable("comments");
        comment.Property(c => c.Body).HasMaxLength(Comment.BodyMaxLength);
        comment.HasOne<Post>().WithMany().HasForeignKey(c => c.PostId).OnDelete(DeleteBehavior.Cascade);
        comment.HasOne(c => c.Author).WithMany().HasForeignKey(c => c.AuthorId).OnDelete(DeleteBehavior.Restrict);
        // A post's comments, oldest first.
        comment.HasIndex(c => new { c.PostId, c.CreatedAt, c.Id });
        comment.HasIndex(c => c.AuthorId);
        comment.Property(c => c.IdempotencyKey).HasMaxLength(Infrastructure.IdempotencyKey.MaxLength);
        comment.HasIndex(c => new { c.AuthorId, c.IdempotencyKey }).IsUnique();
    }
}
