using Blog.Web.ErrorTracking;
using Microsoft.Extensions.Options;

namespace Blog.Web.Security;

/// <summary>
/// The pages' Content-Security-Policy. Every script is the app's own file (Blazor, the bundled Sentry SDK and
/// its replay worker); the one inline script Blazor writes, the import map, carries the request's nonce. So an
/// inline script that slipped into a page (say, through a post body the Markdown sanitiser missed) does not run.
/// </summary>
public sealed class ContentSecurityPolicy
{
    private readonly string _connectSources;

    public ContentSecurityPolicy(IOptions<BrowserSentryOptions> sentry, IHostEnvironment environment)
    {
        // The browser SDK posts events to its DSN's host; in Development the Spotlight sidecar receives them.
        List<string?> origins = [OriginOf(sentry.Value.BrowserDsn)];
        if (environment.IsDevelopment())
        {
            origins.Add(OriginOf(sentry.Value.SpotlightUrl));
        }

        _connectSources = string.Join(' ', origins.OfType<string>().Distinct(StringComparer.Ordinal));
    }

    /// <summary>The policy for one response: its nonce, and the WebSocket origin the page was served from.</summary>
    public string For(HttpRequest request, string nonce)
    {
        // 'self' already covers the same-origin WebSocket in CSP Level 3 browsers; the explicit ws(s) origin
        // keeps Blazor's circuit working in browsers that predate that rule.
        var webSocketOrigin = $"{(request.IsHttps ? "wss" : "ws")}://{request.Host.Value}";
        return string.Join("; ",
            "default-src 'self'",
            $"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            // Post bodies may show images from the web (Markdown images with https addresses); the page's own
            // favicon is an empty data: URL. Images cannot run code.
            "img-src 'self' https: data:",
            $"connect-src 'self' {webSocketOrigin} {_connectSources}".TrimEnd(),
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'");
    }

    private static string? OriginOf(string? address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? $"{uri.Scheme}://{uri.Authority}" // never the DSN's key, which sits in the user-info part
            : null;
}
