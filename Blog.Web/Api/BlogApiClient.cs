namespace Blog.Web.Api;

/// <summary>Typed client for Blog.ApiService; its base address is the service-discovery name.</summary>
public sealed class BlogApiClient(HttpClient http)
{
    public async Task<IReadOnlyList<PostSummary>> GetPostsAsync(CancellationToken ct = default) =>
        (await http.GetFromJsonAsync<PostPage>("/api/posts", ct))?.Items ?? [];
}

public sealed record PostSummary(long Id, string Slug, string Title, long AuthorId, string AuthorName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record PostPage(IReadOnlyList<PostSummary> Items, int Page, int PageSize, int Total);

public static class BlogApiClientExtensions
{
    public const string ApiServiceName = "apiservice";

    public static IServiceCollection AddBlogApiClient(this IServiceCollection services)
    {
        // "https+http://" lets service discovery prefer the API's https endpoint and fall back to http.
        services.AddHttpClient<BlogApiClient>(client => client.BaseAddress = new Uri($"https+http://{ApiServiceName}"));
        return services;
    }
}
