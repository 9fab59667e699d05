using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Blog.ServiceDefaults.RequestIds;
using Blog.ServiceDefaults.Timeouts;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Blog.Web.Api;

/// <summary>
/// Typed client for Blog.ApiService (service discovery, standard resilience and request-id forwarding come
/// from ServiceDefaults). Calls that act for a user take the API token, which lives only in the server-side
/// auth cookie. Failures come back as <see cref="ApiProblem"/> carrying the API's request id.
/// </summary>
public sealed class BlogApiClient(HttpClient http, IHttpContextAccessor accessor, ILogger<BlogApiClient> logger)
{
    public Task<ApiResult<PostPage>> GetPostsAsync(int page = 1, CancellationToken ct = default) =>
        SendAsync<PostPage>(HttpMethod.Get, $"/api/posts?page={page}", null, null, ct);

    public Task<ApiResult<PostDetail>> GetPostAsync(long id, CancellationToken ct = default) =>
        SendAsync<PostDetail>(HttpMethod.Get, $"/api/posts/{id}", null, null, ct);

    public Task<ApiResult<List<Comment>>> GetCommentsAsync(long postId, CancellationToken ct = default) =>
        SendAsync<List<Comment>>(HttpMethod.Get, $"/api/posts/{postId}/comments", null, null, ct);

    public Task<ApiResult<UserInfo>> RegisterAsync(string email, string displayName, string password, CancellationToken ct = default) =>
        SendAsync<UserInfo>(HttpMethod.Post, "/api/users", new { email, displayName, password }, null, ct);

    public Task<ApiResult<TokenInfo>> LoginAsync(string email, string password, CancellationToken ct = default) =>
        SendAsync<TokenInfo>(HttpMethod.Post, "/api/auth/login", new { email, password }, null, ct);

    public Task<ApiResult<UserInfo>> MeAsync(string token, CancellationToken ct = default) =>
        SendAsync<UserInfo>(HttpMethod.Get, "/api/users/me", null, token, ct);

    public Task<ApiResult<PostDetail>> CreatePostAsync(string token, string title, string body, CancellationToken ct = default) =>
        SendAsync<PostDetail>(HttpMethod.Post, "/api/posts", new { title, body }, token, ct);

    public Task<ApiResult<PostDetail>> UpdatePostAsync(string token, long id, string title, string body, CancellationToken ct = default) =>
        SendAsync<PostDetail>(HttpMethod.Put, $"/api/posts/{id}", new { title, body }, token, ct);

    public Task<ApiResult<Comment>> AddCommentAsync(string token, long postId, string body, CancellationToken ct = default) =>
        SendAsync<Comment>(HttpMethod.Post, $"/api/posts/{postId}/comments", new { body }, token, ct);

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, string? token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        // A call from an interactive page has no HTTP request whose id it could forward; it gets its own, so
        // the "not answering" message can always quote an id (the API keeps a caller's safe id as its own).
        if (accessor.HttpContext is null)
        {
            request.Headers.TryAddWithoutValidation(RequestIdMiddleware.HeaderName, RequestIdMiddleware.NewId());
        }

        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                return ApiResult<T>.Success((await response.Content.ReadFromJsonAsync<T>(ct))!);
            }

            return ApiResult<T>.Failure(await ApiProblem.ReadAsync(response, ct));
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or Polly.ExecutionRejectedException
                                   || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            var requestId = request.Headers.TryGetValues(RequestIdMiddleware.HeaderName, out var ids) ? ids.FirstOrDefault() : null;
            ApiLog.Unavailable(logger, method.Method, path.Split('?')[0], ex.GetType().Name, requestId);
            return ApiResult<T>.Failure(ApiProblem.Unavailable(response: null) with { RequestId = requestId });
        }
    }
}

public sealed record ApiResult<T>(T? Value, ApiProblem? Problem)
{
    public bool IsSuccess => Problem is null;

    public static ApiResult<T> Success(T value) => new(value, null);

    public static ApiResult<T> Failure(ApiProblem problem) => new(default, problem);
}

/// <summary>An RFC 7807 answer from the API, reduced to what a page may show: never exception text.</summary>
public sealed record ApiProblem(int Status, string Title, string? Detail, string? RequestId, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsNotFound => Status == (int)HttpStatusCode.NotFound;

    public static async Task<ApiProblem> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var requestId = response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<ProblemBody>(ct);
            return new ApiProblem((int)response.StatusCode, problem?.Title ?? response.ReasonPhrase ?? "Request failed",
                problem?.Detail, problem?.RequestId ?? requestId, problem?.Errors ?? new Dictionary<string, string[]>());
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            return Unavailable(response) with { RequestId = requestId };
        }
    }

    public static ApiProblem Unavailable(HttpResponseMessage? response) =>
        new(response is null ? 503 : (int)response.StatusCode, "The blog service is not answering right now",
            "Please try again in a moment.", null, new Dictionary<string, string[]>());

    private sealed record ProblemBody(string? Title, string? Detail, string? RequestId, Dictionary<string, string[]>? Errors);
}

public sealed record PostSummary(long Id, string Slug, string Title, long AuthorId, string AuthorName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record PostPage(IReadOnlyList<PostSummary> Items, int Page, int PageSize, int Total);

public sealed record PostDetail(long Id, string Slug, string Title, string Body, long AuthorId, string AuthorName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record Comment(long Id, long PostId, long AuthorId, string AuthorName, string Body, DateTimeOffset CreatedAt);

public sealed record UserInfo(long Id, string DisplayName);

public sealed record TokenInfo(string AccessToken, DateTimeOffset ExpiresAt);

internal static partial class ApiLog
{
    [LoggerMessage(EventId = 5000, EventName = "api.unavailable", Level = LogLevel.Warning,
        Message = "The API did not answer {method} {path} ({error}), request {api_request_id}")]
    public static partial void Unavailable(ILogger logger, string method, string path, string error, string? api_request_id);
}

/// <summary>How long one page may spend on one API call, derived from the web frontend's own request deadline.</summary>
public static class ApiCallBudget
{
    /// <summary>
    /// A page makes at most two API calls in a row, so each gets under half the deadline: 40 % in all
    /// (4 s of the default 10 s), one attempt of 30 %, and a single quick retry, of reads only. Retry-After
    /// is not waited for: the page says "not answering" at once instead.
    /// </summary>
    public static void Apply(HttpStandardResilienceOptions options, TimeSpan deadline)
    {
        options.TotalRequestTimeout.Timeout = deadline * 0.4;
        options.AttemptTimeout.Timeout = deadline * 0.3;
        options.Retry.MaxRetryAttempts = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(100);
        options.Retry.ShouldRetryAfterHeader = false;
        options.Retry.DisableForUnsafeHttpMethods();
        options.CircuitBreaker.SamplingDuration = Max(options.CircuitBreaker.SamplingDuration, options.AttemptTimeout.Timeout * 2);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

public static class BlogApiClientExtensions
{
    public const string ApiServiceName = "apiservice";

    public static IServiceCollection AddBlogApiClient(this IServiceCollection services)
    {
        // "https+http://" lets service discovery prefer the API's https endpoint and fall back to http.
#pragma warning disable EXTEXP0001
        services.AddHttpClient<BlogApiClient>(client => client.BaseAddress = new Uri($"https+http://{ApiServiceName}"))
            // The defaults' standard handler waits up to 30 s and retries every method; a page must answer within
            // the request deadline, and a retried POST could write twice. RemoveAllResilienceHandlers is the
            // package's documented way to replace them (marked experimental, EXTEXP0001).
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler()
            .Configure((options, services) => ApiCallBudget.Apply(options,
                services.GetRequiredService<IOptions<RequestDeadlineOptions>>().Value.Timeout));
#pragma warning restore EXTEXP0001
        return services;
    }
}
