using Microsoft.EntityFrameworkCore;

namespace Blog.ApiService.Data;

public sealed class BlogDbContext(DbContextOptions<BlogDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();

    public DbSet<Post> Posts => Set<Post>();

    public DbSet<Comment> Comments => Set<Comment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(BlogDbContext).Assembly);
}

public static class BlogDbContextOptions
{
    /// <summary>
    /// snake_case tables and columns, so the SQL an operator types at 3am reads naturally. Applied by
    /// the app and by the design-time factory alike (OnConfiguring is not allowed with context pooling).
    /// </summary>
    public static DbContextOptionsBuilder UseBlogConventions(this DbContextOptionsBuilder options) =>
        options.UseSnakeCaseNamingConvention();
}
