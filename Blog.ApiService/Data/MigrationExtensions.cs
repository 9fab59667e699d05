using Microsoft.EntityFrameworkCore;

namespace Blog.ApiService.Data;

public static class MigrationExtensions
{
    /// <summary>
    /// Applies EF migrations while the host starts, before the web server listens, so the service
    /// never reports ready against an old schema. EF's migration lock keeps replicas from racing.
    /// </summary>
    public static IServiceCollection AddMigrations<TContext>(this IServiceCollection services) where TContext : DbContext =>
        services.AddHostedService<MigrationHostedService<TContext>>();

    private sealed class MigrationHostedService<TContext>(IServiceProvider services, ILogger<MigrationHostedService<TContext>> logger)
        : IHostedService where TContext : DbContext
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            await db.Database.MigrateAsync(cancellationToken);
            DataLog.MigrationsApplied(logger, pending.Count);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

internal static partial class DataLog
{
    [LoggerMessage(EventId = 1000, EventName = "db.migrated", Level = LogLevel.Information,
        Message = "Database schema is current ({MigrationCount} migrations applied)")]
    public static partial void MigrationsApplied(ILogger logger, int migrationCount);
}
