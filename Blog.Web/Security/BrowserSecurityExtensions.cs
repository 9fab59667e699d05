namespace Blog.Web.Security;

public static class BrowserSecurityExtensions
{
    public static IServiceCollection AddBrowserSecurity(this IServiceCollection services)
    {
        services.AddSingleton<ContentSecurityPolicy>();
        return services;
    }

    /// <summary>
    /// HSTS outside Development. The framework sends it only on HTTPS requests: behind TLS termination the
    /// request reaches the app as http, and only forwarded headers (X-Forwarded-Proto from a trusted proxy)
    /// make it https again, so HSTS then depends on them.
    /// </summary>
    public static WebApplication UseBrowserSecurity(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.UseMiddleware<SecurityHeaders>();
        return app;
    }

    /// <summary>
    /// With <c>Diagnostics:EnableInlineScriptProbe</c>, maps <c>GET /diagnostics/inline-script</c>: a page that
    /// carries an inline script without the nonce, as an injected one would, for proving that the policy blocks it.
    /// </summary>
    public static WebApplication MapInlineScriptProbe(this WebApplication app)
    {
        if (app.Configuration.GetValue("Diagnostics:EnableInlineScriptProbe", false))
        {
            app.MapGet("/diagnostics/inline-script", () => TypedResults.Content(
                """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8" /><title>Inline script probe</title></head>
                <body><p id="probe">The script below must not run.</p>
                <script>document.getElementById('probe').textContent = 'injected script ran';</script>
                </body></html>
                """, "text/html; charset=utf-8"));
        }

        return app;
    }
}
