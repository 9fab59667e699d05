using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Blog.ApiService.Data;

/// <summary>
/// Lets scripts/ef.sh create migrations without starting the app or reaching a database:
/// adding a migration only needs the model and the provider.
/// </summary>
internal sealed class DesignTimeBlogDbContextFactory : IDesignTimeDbContextFactory<BlogDbContext>
{
    public BlogDbContext CreateDbContext(string[] args) =>
        new((DbContextOptions<BlogDbContext>)new DbContextOptionsBuilder<BlogDbContext>().UseNpgsql("Host=localhost;Database=blogdb").UseBlogConventions().Options);
}
