using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

// Kestrel and routing only: no logging providers, no telemetry, no database or cache. It answers
// GET /api/posts/{id} with the same JSON as Blog's API (PostDetail in Blog.ApiService/Posts/PostsApi.cs),
// serialized on every request as the API does, so the gap to the API is what Blog adds.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();

// Baseline:PostFile: the JSON the real API returned for the benchmark's post, so both bodies are the
// same bytes; without it a post of typical size stands in.
var post = builder.Configuration["Baseline:PostFile"] is { Length: > 0 } file
    ? JsonSerializer.Deserialize<PostDetail>(File.ReadAllText(file), JsonSerializerOptions.Web)
        ?? throw new InvalidOperationException($"{file} holds no post.")
    : new PostDetail(1, "benchmark-post", "Benchmark post", "A body of moderate length, as a short blog post would have.",
        1, "Bench", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

var app = builder.Build();
app.MapGet("/api/posts/{id:long}", Results<Ok<PostDetail>, NotFound> (long id) =>
    id == post.Id ? TypedResults.Ok(post) : TypedResults.NotFound());
app.Run();

/// <summary>The API's response record, property for property and in the same order.</summary>
internal sealed record PostDetail(long Id, string Slug, string Title, string Body, long AuthorId, string AuthorName, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
