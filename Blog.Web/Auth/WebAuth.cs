using System.Security.Claims;
using Blog.Web.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;

namespace Blog.Web.Auth;

/// <summary>
/// The web server is a backend for the browser: the API token lives in the encrypted, HttpOnly, SameSite auth
/// cookie's claims and is read only on the server, to call the API for the signed-in user. The browser never
/// receives the token in a form it can read.
/// </summary>
public static class WebAuth
{
    private const string TokenClaim = "blog:api_token";

    public static IServiceCollection AddBlogWebAuth(this IServiceCollection services)
    {
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.Cookie.Name = "blog.auth";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.LoginPath = "/login";
                options.AccessDeniedPath = "/";
                // The cookie must not outlive the API token inside it.
                options.SlidingExpiration = false;
            });
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        return services;
    }

    public static string? ApiToken(this ClaimsPrincipal user) => user.FindFirst(TokenClaim)?.Value;

    public static long? UserId(this ClaimsPrincipal user) => long.TryParse(user.FindFirst("sub")?.Value, out var id) ? id : null;

    public static Task SignInAsync(HttpContext http, UserInfo user, TokenInfo token)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim("sub", user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim("name", user.DisplayName),
            new Claim(TokenClaim, token.AccessToken),
        ], CookieAuthenticationDefaults.AuthenticationScheme, "name", "role");
        return http.SignInAsync(new ClaimsPrincipal(identity), new AuthenticationProperties
        {
            ExpiresUtc = token.ExpiresAt,
            IsPersistent = false,
        });
    }

    /// <summary>POST /logout from a form with an antiforgery token (binding [FromForm] makes ASP.NET Core validate it).</summary>
    public static IEndpointRouteBuilder MapLogout(this IEndpointRouteBuilder app)
    {
        app.MapPost("/logout", async (HttpContext http, [FromForm] string? returnUrl) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect(string.IsNullOrEmpty(returnUrl) ? "/" : $"~{(returnUrl.StartsWith('/') ? returnUrl : "/" + returnUrl)}");
        });
        return app;
    }
}
