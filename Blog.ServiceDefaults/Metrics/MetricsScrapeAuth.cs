using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Blog.ServiceDefaults.Metrics;

/// <summary>Settings for /metrics, bound from <c>Metrics</c>.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>Bearer token Prometheus must send; the AppHost supplies it as the secret parameter <c>metrics-scrape-token</c>.</summary>
    public string? ScrapeToken { get; set; }

    public const string DefaultPath = "/metrics";

    public string Path { get; set; } = DefaultPath;
}

/// <summary>
/// Guards the scrape endpoint: metrics describe the system's internals (error rates, slow routes)
/// and are not for the public. Requires <c>Authorization: Bearer &lt;Metrics:ScrapeToken&gt;</c>,
/// compared in constant time; anything else gets 401 with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
public sealed class MetricsScrapeAuth(RequestDelegate next, IOptions<MetricsOptions> options)
{
    private readonly byte[] _expected = Hash(options.Value.ScrapeToken ?? "");

    public Task InvokeAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        // Hashing first makes the comparison constant-time whatever the lengths.
        if (presented is { Length: > 0 } && CryptographicOperations.FixedTimeEquals(Hash(presented), _expected))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
        return Task.CompletedTask;
    }

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
