using System.Security.Cryptography;

namespace Blog.Web.Security;

/// <summary>
/// Browser security headers on every response of the web frontend: the Content-Security-Policy with a fresh
/// nonce per request, no MIME sniffing, a referrer trimmed to the origin for other sites, and no access to
/// device features the blog never uses. HSTS comes from the framework (<c>UseHsts</c>) outside Development.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next, ContentSecurityPolicy policy)
{
    private const string PermissionsPolicy =
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

    public Task InvokeAsync(HttpContext context)
    {
        // URL-safe base64: the value goes into an HTML attribute unchanged (no "+" to encode).
        var nonce = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        context.Items[CspNonce.ItemKey] = nonce;
        // At response start, so the headers survive the exception handler clearing the response for /Error.
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy.For(context.Request, nonce);
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            headers["Permissions-Policy"] = PermissionsPolicy;
            return Task.CompletedTask;
        });
        return next(context);
    }
}

/// <summary>The nonce that lets the page's own inline script (Blazor's import map) run under the policy.</summary>
public static class CspNonce
{
    internal const string ItemKey = "blog.csp-nonce";

    public static string? Get(HttpContext context) => context.Items[ItemKey] as string;
}
