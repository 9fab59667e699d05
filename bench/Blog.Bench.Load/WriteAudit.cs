using Npgsql;

namespace Blog.Bench.Load;

/// <param name="Lost">Acknowledged ids missing from the database.</param>
/// <param name="Duplicates">Extra rows carrying the same unique marker as another: a write applied twice.</param>
/// <param name="Unacknowledged">Rows of this run whose write got no acknowledgement (timeout, dropped connection or an error after the commit).</param>
public sealed record AuditResult(string Kind, int Acknowledged, IReadOnlyList<long> Lost, long Duplicates, long Unacknowledged);

/// <summary>Checks PostgreSQL, after the run, for every write the API acknowledged.</summary>
public static class WriteAudit
{
    public static async Task<IReadOnlyList<AuditResult>> CheckAsync(string connectionString, string runId,
        IReadOnlyList<AcknowledgedWrite> writes, CancellationToken ct)
    {
        await using var source = NpgsqlDataSource.Create(connectionString);
        return
        [
            await CheckAsync(source, "post", "posts", "title", runId, writes, ct),
            await CheckAsync(source, "comment", "comments", "body", runId, writes, ct),
        ];
    }

    private static async Task<AuditResult> CheckAsync(NpgsqlDataSource source, string kind, string table, string markerColumn,
        string runId, IReadOnlyList<AcknowledgedWrite> writes, CancellationToken ct)
    {
        var acknowledged = writes.Where(w => w.Kind == kind).ToList();
        var ids = acknowledged.Select(w => w.Id).ToArray();

        // Table and column names are constants of this class, never input.
        await using var found = source.CreateCommand($"select id from {table} where id = any($1)");
        found.Parameters.Add(new NpgsqlParameter { Value = ids });
        var present = new HashSet<long>();
        await using (var reader = await found.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                present.Add(reader.GetInt64(0));
            }
        }

        // Markers start with the run id, which no other run uses; count(*) - count(distinct) is the rows applied twice.
        await using var rows = source.CreateCommand(
            $"select count(*), count(distinct {markerColumn}) from {table} where starts_with({markerColumn}, $1)");
        rows.Parameters.Add(new NpgsqlParameter { Value = runId + " " });
        await using var counts = await rows.ExecuteReaderAsync(ct);
        await counts.ReadAsync(ct);
        var total = counts.GetInt64(0);
        var distinct = counts.GetInt64(1);
        var acknowledgedMarkers = acknowledged.Select(w => w.Marker).Distinct().Count();

        var lost = ids.Where(id => !present.Contains(id)).ToList();
        return new AuditResult(kind, acknowledged.Count, lost, total - distinct, distinct - (acknowledgedMarkers - lost.Count));
    }
}
