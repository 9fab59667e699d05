using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Blog.ApiService.Data;

public sealed class Post
{
    public const int TitleMaxLength = 200;
    public const int BodyMaxLength = 100_000;
    public const int SlugMaxLength = 80;

    public long Id { get; set; }
    public long AuthorId { get; set; }
    public User? Author { get; set; }
    public required string Slug { get; set; }
    public required string Title { get; set; }
    public required string Body { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The creating request's Idempotency-Key, unique per author, so a retried create finds its first write.</summary>
    public string? IdempotencyKey { get; set; }
}

internal sealed class PostConfiguration : IEntityTypeConfiguration<Post>
{
    public void Configure(EntityTypeBuilder<Post> post)
    {
        post.ToTable("posts");
        post.Property(p => p.Slug).HasMaxLength(Post.SlugMaxLength);
        post.Property(p => p.Title).HasMaxLength(Post.TitleMaxLength);
        post.Property(p => p.Body).HasMaxLength(Post.BodyMaxLength);
        post.HasOne(p => p.Author).WithMany().HasForeignKey(p => p.AuthorId).OnDelete(DeleteBehavior.Restrict);
        // Serves the newest-first list; Id breaks ties between posts created in the same instant.
        post.HasIndex(p => new { p.CreatedAt, p.Id }).IsDescending();
        post.HasIndex(p => p.AuthorId);
        post.Property(p => p.IdempotencyKey).HasMaxLength(Infrastructure.IdempotencyKey.MaxLength);
        post.HasIndex(p => new { p.AuthorId, p.IdempotencyKey }).IsUnique();
    }
}
