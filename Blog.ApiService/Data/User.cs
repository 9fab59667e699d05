using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Blog.ApiService.Data;

public sealed class User
{
    public const int EmailMaxLength = 254;
    public const int DisplayNameMaxLength = 100;

    public long Id { get; set; }

    /// <summary>As the user typed it; used only to sign in, never logged.</summary>
    public required string Email { get; set; }

    /// <summary>Upper-invariant email: the unique key, so sign-up and login ignore case.</summary>
    public required string NormalizedEmail { get; set; }

    public required string DisplayName { get; set; }

    public required string PasswordHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public static string Normalize(string email) => email.Trim().ToUpperInvariant();
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("users");
        user.Property(u => u.Email).HasMaxLength(User.EmailMaxLength);
        user.Property(u => u.NormalizedEmail).HasMaxLength(User.EmailMaxLength);
        user.Property(u => u.DisplayName).HasMaxLength(User.DisplayNameMaxLength);
        user.HasIndex(u => u.NormalizedEmail).IsUnique();
    }
}
