namespace Blog.Bench.Load;

/// <summary>Ids of posts known to exist, for readers and commenters to pick from.</summary>
public sealed class KnownPosts
{
    private readonly List<long> _ids = [];
    private readonly Lock _lock = new();

    public void Add(long id)
    {
        lock (_lock)
        {
            _ids.Add(id);
        }
    }

    public long? Pick()
    {
        lock (_lock)
        {
            return _ids.Count == 0 ? null : _ids[Random.Shared.Next(_ids.Count)];
        }
    }
}

/// <summary>The closed-loop workers: each sends a request, waits the think time, sends the next.</summary>
public sealed class Workers(ApiClient api, Recorder recorder, KnownPosts posts, LoadOptions options, string runId)
{
    /// <summary>Lists the newest posts and reads a single one, alternately.</summary>
    public async Task ReadAsync(int worker, CancellationToken ct)
    {
        for (var n = 0; !ct.IsCancellationRequested; n++)
        {
            bool sent;
            if (n % 2 == 0 || posts.Pick() is not { } id)
            {
                (sent, _, _) = await api.SendAsync("read", baseUri => ApiClient.Get(baseUri, "/api/posts?page=1&pageSize=20"), ct);
            }
            else
            {
                (sent, _, _) = await api.SendAsync("read", baseUri => ApiClient.Get(baseUri, $"/api/posts/{id}"), ct);
            }

            if (!sent || !await PauseAsync(ct))
            {
                return;
            }
        }
    }

    /// <summary>Creates posts as its own user; every 201 is recorded with the id the API returned.</summary>
    public async Task WriteAsync(int worker, string token, CancellationToken ct)
    {
        for (var n = 1; !ct.IsCancellationRequested; n++)
        {
            var title = $"{runId} w{worker} #{n}";
            var sent = await SendWriteAsync("write", "post", title,
                baseUri => ApiClient.PostJson(baseUri, "/api/posts", new { title, body = $"Load post {n} of writer {worker}." }, token), ct);
            if (!sent || !await PauseAsync(ct))
            {
                return;
            }
        }
    }

    /// <summary>Comments on known posts as its own user; every 201 is recorded with the id the API returned.</summary>
    public async Task CommentAsync(int worker, string token, CancellationToken ct)
    {
        for (var n = 1; !ct.IsCancellationRequested; n++)
        {
            if (posts.Pick() is not { } postId)
            {
                if (!await PauseAsync(ct))
                {
                    return;
                }

                continue;
            }

            var text = $"{runId} c{worker} #{n}";
            var sent = await SendWriteAsync("comment", "comment", text,
                baseUri => ApiClient.PostJson(baseUri, $"/api/posts/{postId}/comments", new { body = text }, token), ct);
            if (!sent || !await PauseAsync(ct))
            {
                return;
            }
        }
    }

    /// <summary>The open loop: a read and a write every interval, each left to finish on its own, with a cap on those outstanding.</summary>
    public async Task ProbeAsync(string token, CancellationToken ct)
    {
        const int maxOutstanding = 200;
        var outstanding = new List<Task>();
        using var timer = new PeriodicTimer(options.ProbeInterval);
        for (var n = 1; await TickAsync(timer, ct); n++)
        {
            outstanding.RemoveAll(t => t.IsCompleted);
            if (outstanding.Count >= maxOutstanding)
            {
                continue;
            }

            var title = $"{runId} probe #{n}";
            outstanding.Add(api.SendAsync("probe-read", baseUri => ApiClient.Get(baseUri, "/api/posts?page=1&pageSize=20"), ct));
            outstanding.Add(SendWriteAsync("probe-write", "post", title,
                baseUri => ApiClient.PostJson(baseUri, "/api/posts", new { title, body = $"Probe post {n}." }, token), ct));
        }

        await Task.WhenAll(outstanding);
    }

    /// <summary>Sends a write; an acknowledged one is recorded with the id the API returned (<paramref name="marker"/> is unique to it).</summary>
    /// <returns>False when the run's request bound is reached.</returns>
    private async Task<bool> SendWriteAsync(string kind, string entity, string marker, Func<Uri, HttpRequestMessage> build, CancellationToken ct)
    {
        var (sent, record, body) = await api.SendAsync(kind, build, ct);
        if (record is { Succeeded: true } && body is { } created && created.TryGetProperty("id", out var idProperty))
        {
            var id = idProperty.GetInt64();
            recorder.Write(new AcknowledgedWrite(entity, id, marker, record.EndMs));
            if (entity == "post")
            {
                posts.Add(id);
            }
        }

        return sent;
    }

    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> PauseAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(options.ThinkTime, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
