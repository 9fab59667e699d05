using Blog.ApiService.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Blog.ApiService.Infrastructure;

/// <summary>A round trip to Postgres; failures carry the exception for the log, never for the client.</summary>
internal sealed class DatabaseHealthCheck(BlogDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        await db.Database.ExecuteSqlRawAsync("SELECT 1", ct);
        return HealthCheckResult.Healthy();
    }
}

/// <summary>A PING to Redis through the app's own multiplexer.</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        await redis.GetDatabase().PingAsync().WaitAsync(ct);
        return HealthCheckResult.Healthy();
    }
}
