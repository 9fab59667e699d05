using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Blog.Bench.Load;

/// <summary>
/// Sends one logical request to a replica and records how it ended. A request is sent again only when no
/// connection could be made (it never left this process, so it cannot be applied twice); a request that was
/// sent is never retried, writes included, because the API has no idempotency key.
/// </summary>
public sealed class ApiClient(HttpClient http, ApiTargets targets, Recorder recorder, LoadOptions options)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static HttpClient CreateHttpClient(TimeSpan timeout) => new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        // Per-request round robin already spreads load; connections are kept so the tool measures the API, not TCP setup.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        MaxConnectionsPerServer = 256,
    })
    {
        Timeout = timeout,
    };

    /// <summary>Sends the request built by <paramref name="build"/>; returns the answer's body when it succeeded, else null.</summary>
    /// <returns>False when the run's request bound is reached.</returns>
    public async Task<(bool Sent, RequestRecord? Record, JsonElement? Body)> SendAsync(
        string kind, Func<Uri, HttpRequestMessage> build, CancellationToken ct)
    {
        if (!recorder.TryStartRequest(options.MaxRequests))
        {
            return (false, null, null);
        }

        var startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var started = Stopwatch.GetTimestamp();
        var attempts = 0;
        var replica = targets.Next();
        while (true)
        {
            attempts++;
            using var request = build(targets[replica]);
            Outcome outcome;
            var status = 0;
            JsonElement? body = null;
            try
            {
                // Not cancelled when the run ends: a write in flight then could be applied without its answer being
                // recorded. The client timeout bounds the wait.
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, CancellationToken.None);
                status = (int)response.StatusCode;
                outcome = Outcome.Answered;
                if (response.IsSuccessStatusCode && response.Content.Headers.ContentLength is > 0)
                {
                    body = await response.Content.ReadFromJsonAsync<JsonElement>(Json, CancellationToken.None);
                }
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
            {
                targets.Eject(replica);
                if (attempts < targets.Count && !ct.IsCancellationRequested)
                {
                    replica = targets.Next();
                    continue;
                }

                outcome = Outcome.ConnectFailed;
            }
            catch (TaskCanceledException)
            {
                outcome = Outcome.Timeout;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException)
            {
                outcome = Outcome.ConnectionLost;
            }

            var record = new RequestRecord(kind, startMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                targets[replica].Authority, outcome, status, attempts);
            recorder.Request(record);
            return (true, record, body);
        }
    }

    public static HttpRequestMessage Get(Uri baseUri, string path) => new(HttpMethod.Get, new Uri(baseUri, path));

    public static HttpRequestMessage PostJson<T>(Uri baseUri, string path, T value, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUri, path)) { Content = JsonContent.Create(value, options: Json) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    /// <summary>Registers a user and logs in, before the load starts; setup failures stop the run.</summary>
    public async Task<string> RegisterAsync(string email, string displayName, string password, CancellationToken ct)
    {
        var baseUri = targets[targets.Next()];
        using (var register = await http.SendAsync(PostJson(baseUri, "/api/users", new { email, displayName, password }), ct))
        {
            if (register.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"Registering a load user failed with {(int)register.StatusCode}.");
            }
        }

        using var login = await http.SendAsync(PostJson(baseUri, "/api/auth/login", new { email, password }), ct);
        login.EnsureSuccessStatusCode();
        var body = await login.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
        return body.GetProperty("accessToken").GetString()!;
    }
}
