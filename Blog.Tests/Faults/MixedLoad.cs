using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Blog.Tests.Api;

namespace Blog.Tests.Faults;

/// <summary>What one request of the load got: its status (0 when no answer came), how long it took, and its problem fields.</summary>
public sealed record Outcome(string Kind, int Status, TimeSpan Duration, string? ContentType, bool HasRetryAfter, string? RequestId, string? Error)
{
    public bool Answered => Status != 0;

    public bool IsSuccess => Status is >= 200 and < 300;

    public override string ToString() =>
        $"{Kind} -> {(Answered ? Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer (" + Error + ")")} in {Duration.TotalMilliseconds:F0} ms, {ContentType}, retry-after {HasRetryAfter}, request id {RequestId}";
}

/// <summary>
/// Writers creating posts and readers listing and reading them, as fast as the API answers, until stopped.
/// Each writer is its own user; every post the API acknowledged (201) is remembered by id so a test can look
/// for it in PostgreSQL afterwards.
/// </summary>
public sealed class MixedLoad
{
    /// <summary>Longer than any deadline the services have, so the load sees how long requests really take.</summary>
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];

    public ConcurrentQueue<Outcome> Outcomes { get; } = new();

    public ConcurrentBag<long> AcknowledgedPostIds { get; } = new();

    /// <summary>Every Idempotency-Key a writer sent (each stands for one post, however often it was retried).</summary>
    public ConcurrentBag<string> AttemptedKeys { get; } = new();

    /// <summary>The writers' user ids, to find what they wrote.</summary>
    public IReadOnlyList<long> WriterIds { get; private set; } = [];

    public static async Task<MixedLoad> StartAsync(Func<HttpClient> createClient, int writers, int readers)
    {
        var load = new MixedLoad();
        HttpClient Create()
        {
            var client = createClient();
            client.Timeout = ClientTimeout;
            return client;
        }

        var users = await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => ApiUser.RegisterAsync(Create)));
        load.WriterIds = [.. users.Select(u => u.Id)];
        var seed = (await users[0].CreatePostAsync("Read during faults")).GetProperty("id").GetInt64();
        foreach (var user in users)
        {
            load._workers.Add(Task.Run(() => load.WriteAsync(user)));
        }

        for (var i = 0; i < readers; i++)
        {
            var client = Create();
            load._workers.Add(Task.Run(() => load.ReadAsync(client, seed)));
        }

        return load;
    }

    /// <summary>Outcomes of one kind recorded so far.</summary>
    public IReadOnlyList<Outcome> Of(string kind) => Outcomes.Where(o => o.Kind == kind).ToList();

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    /// <summary>
    /// Each post is one logical write with its own Idempotency-Key; a write that got no answer or a refusal is
    /// sent again with the same key until it is acknowledged, as a careful client would.
    /// </summary>
    private async Task WriteAsync(ApiUser user)
    {
        var n = 0;
        var key = $"load-{Guid.NewGuid():N}";
        while (!_stop.IsCancellationRequested)
        {
            AttemptedKeys.Add(key);
            var title = $"Under load {n}";
            var outcome = await SendAsync("write", user.Client, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "/api/posts")
                {
                    Content = JsonContent.Create(new { title, body = "Written while something breaks." }),
                };
                request.Headers.Add("Idempotency-Key", key);
                return request;
            }, async response =>
            {
                var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
                AcknowledgedPostIds.Add(id);
            });
            if (outcome.IsSuccess)
            {
                n++;
                key = $"load-{Guid.NewGuid():N}";
            }
            else
            {
                // Like a polite client: a refused write is retried after a pause, not in a tight loop.
                await Pause(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    private async Task ReadAsync(HttpClient client, long postId)
    {
        var n = 0;
        while (!_stop.IsCancellationRequested)
        {
            var path = n++ % 2 == 0 ? "/api/posts?page=1" : $"/api/posts/{postId}";
            var outcome = await SendAsync("read", client, () => new HttpRequestMessage(HttpMethod.Get, path), _ => Task.CompletedTask);
            if (!outcome.IsSuccess)
            {
                await Pause(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    private async Task<Outcome> SendAsync(string kind, HttpClient client, Func<HttpRequestMessage> request, Func<HttpResponseMessage, Task> onSuccess)
    {
        var started = Stopwatch.GetTimestamp();
        Outcome outcome;
        try
        {
            using var message = request();
            using var response = await client.SendAsync(message);
            if (response.IsSuccessStatusCode)
            {
                await onSuccess(response);
            }

            var requestId = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                ? (await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("requestId", out var id) ? id.GetString() : null
                : null;
            outcome = new Outcome(kind, (int)response.StatusCode, Stopwatch.GetElapsedTime(started), response.Content.Headers.ContentType?.MediaType,
                response.Headers.RetryAfter is not null, requestId, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            outcome = new Outcome(kind, 0, Stopwatch.GetElapsedTime(started), null, false, null, ex.GetType().Name);
        }

        Outcomes.Enqueue(outcome);
        return outcome;
    }

    /// <summary>
    /// Fails the test unless every acknowledged post is in PostgreSQL and no logical write (one key) became two
    /// posts, however often it was retried.
    /// </summary>
    public async Task AssertNothingLostOrDuplicatedAsync(string connectionString)
    {
        // Unpooled: a pooled connection of this process may date from before a PostgreSQL restart.
        await using var db = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await db.OpenAsync();
        var ids = AcknowledgedPostIds.Distinct().ToArray();
        await using (var found = new Npgsql.NpgsqlCommand("SELECT count(*) FROM posts WHERE id = ANY(@ids)", db))
        {
            found.Parameters.AddWithValue("ids", ids);
            Assert.Equal((long)ids.Length, (long)(await found.ExecuteScalarAsync())!);
        }

        await using var written = new Npgsql.NpgsqlCommand(
            "SELECT count(*), count(DISTINCT idempotency_key) FROM posts WHERE author_id = ANY(@authors) AND idempotency_key IS NOT NULL", db);
        written.Parameters.AddWithValue("authors", WriterIds.ToArray());
        await using var reader = await written.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (rows, keys) = (reader.GetInt64(0), reader.GetInt64(1));
        Assert.Equal(keys, rows);
        Assert.InRange(rows, ids.Length, AttemptedKeys.Distinct().Count());
    }

    private Task Pause(TimeSpan delay) => Task.Delay(delay, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
}
