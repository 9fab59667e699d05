using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Blog.ApiService.Data;

/// <summary>
/// How long a request may spend on PostgreSQL, bound from <c>Database</c>. The defaults let a request that
/// finds the database away give up within about 4 s (three attempts of at most 1 s to connect, half a second
/// apart; measured under load through the orchestrator's proxy: 6.9 s with a 2 s connect timeout) instead of
/// waiting for it: EF's default retrying strategy (6 retries, up to 30 s apart) and Npgsql's 15 s connect and
/// 30 s command timeouts together held requests for the whole of an outage.
/// </summary>
public sealed class DatabaseOptions : IValidatableObject
{
    public const string SectionName = "Database";

    /// <summary>Opening a connection gives up after this long (a database that accepts TCP but does not answer).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>One command gives up after this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Transient failures (connection refused or lost, server shutting down) are retried this many times.</summary>
    [Range(0, 10)]
    public int MaxRetryCount { get; set; } = 2;

    /// <summary>The longest pause between two attempts; EF's back-off grows towards it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxRetryCount > 0 && MaxRetryDelay <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Database:MaxRetryDelay must be above zero when Database:MaxRetryCount is.",
                [nameof(MaxRetryDelay)]);
        }
    }

    /// <summary>The connection string with this connect timeout (whole seconds, as Npgsql counts them).</summary>
    public string WithConnectTimeout(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Timeout = Seconds(ConnectTimeout) }.ConnectionString;

    /// <summary>Bounded retries and command timeout, replacing the integration's unbounded defaults.</summary>
    public void Apply(DbContextOptionsBuilder options) =>
        options.UseNpgsql(npgsql =>
            {
                npgsql.CommandTimeout(Seconds(CommandTimeout));
                if (MaxRetryCount > 0)
                {
                    npgsql.EnableRetryOnFailure(MaxRetryCount, MaxRetryDelay, errorCodesToAdd: null);
                }
            })
            // EF logs each failed command, connection, query and save as an error before throwing. The exception
            // always reaches a caller that reports it once (a 500 through the exception handler, a 503 through the
            // outage log, a failed start through the host), so these copies stay at Debug. Otherwise an empty
            // database's first start shows two red errors (the migrations-history probe) and an outage writes
            // several error events per request.
            .ConfigureWarnings(warnings => warnings.Log(
                (RelationalEventId.CommandError, LogLevel.Debug),
                (RelationalEventId.ConnectionError, LogLevel.Debug),
                (CoreEventId.QueryIterationFailed, LogLevel.Debug),
                (CoreEventId.SaveChangesFailed, LogLevel.Debug)));

    private static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));
}
