using System.Reflection;
using System.Security.Claims;
using System.Text.Json;
using Blog.Web.Auth;

namespace Blog.Web.ErrorTracking;

/// <summary>Settings for browser-side Sentry, bound from <c>Sentry</c>.</summary>
public sealed class BrowserSentryOptions
{
    /// <summary>DSN for the browser SDK (a public value by design); empty leaves the SDK out of the page entirely.</summary>
    public string? BrowserDsn { get; set; }

    /// <summary>Spotlight's envelope endpoint (set by the AppHost in local runs): the page policy lets the browser reach it in Development.</summary>
    public string? SpotlightUrl { get; set; }
}

/// <summary>What the page hands the bundled browser SDK (Scripts/sentry.js) in a meta tag.</summary>
public static class BrowserSentry
{
    private static readonly string Release =
        $"Blog.Web@{Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0"}";

    /// <summary>The meta tag's content, or null when the browser SDK is off.</summary>
    public static string? Settings(BrowserSentryOptions options, IHostEnvironment environment, HttpContext http) =>
        string.IsNullOrWhiteSpace(options.BrowserDsn)
            ? null
            : JsonSerializer.Serialize(new
            {
                dsn = options.BrowserDsn,
                environment = environment.EnvironmentName.ToLowerInvariant(),
                release = Release,
                requestId = http.TraceIdentifier,
                // The user by id only, as on the server.
                userId = http.User.UserId()?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
}
