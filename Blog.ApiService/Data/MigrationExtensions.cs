using Microsoft.EntityFrameworkCore;

namespace Blog.ApiService.Data;

public static class MigrationExtensions
{
    /// <summary>
    /// Applies EF migrations while the host starts, before the web server listens, so the service
    /// never reports ready against an old schema. Replicas starting together take turns under a
    /// PostgreSQL advisory lock: EF's own migration lock did not stop two replicas on an empty database
    /// from both applying the first migrations (one failed to start: "column ... already exists").
    /// </summary>
    public static IServiceCollection AddMigrations<TContext>(this IServiceCollection services) where TContext : DbContext =>
        services.AddHostedService<MigrationHostedService<TContext>>();

    private sealed class MigrationHostedService<TContext>(IServiceProvider services, ILogger<MigrationHostedService<TContext>> logger)
        : IHostedService where TContext : DbContext
    {
        // Any fixed number: it names the lock all replicas of Blog's API take before migrating.
        private const long MigrationLockKey = 0x426C6F674D6967;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TContext>();
            // A session lock, on a connection held open for the whole migration; it is released with the
            // connection if this process dies. Polled, so no single command waits past the command timeout.
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                while (!await db.Database.SqlQueryRaw<bool>("SELECT pg_try_advisory_lock({0}) AS \"Value\"", MigrationLockKey)
                           .SingleAsync(cancellationToken))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                }

                var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
                await db.Database.MigrateAsync(cancellationToken);
                DataLog.MigrationsApplied(logger, pending.Count);
            }
            finally
            {
                // Unlocked explicitly: a pooled connection would keep a session lock until its next use.
                try
                {
                    await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock({0})", [MigrationLockKey], CancellationToken.None);
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
                {
                    // Not held, or the connection is gone, which releases it.
                }

                await db.Database.CloseConnectionAsync();
            }
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
