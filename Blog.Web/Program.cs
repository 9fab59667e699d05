using Blog.ServiceDefaults.Timeouts;
using Blog.Web.Api;
using Blog.Web.Auth;
using Blog.Web.Components;
using Blog.Web.ErrorTracking;
using Blog.Web.Live;
using Blog.Web.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddBrowserSecurity();
builder.Services.AddBlogApiClient();
builder.Services.AddClientAddressForwarding();
builder.Services.AddBlogWebAuth();
builder.Services.AddOptions<BrowserSentryOptions>().BindConfiguration("Sentry");
builder.Services.AddLiveUpdates();

var app = builder.Build();

app.UseBrowserSecurity();
app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseRequestDeadline();

app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
// The page policy (Security/ContentSecurityPolicy.cs) carries frame-ancestors itself. The circuit's WebSocket is not
// compressed: each compressed connection held native zlib state that kept the frontend's memory growing in the soak
// (decision 0011).
app.MapRazorComponents<App>().AddInteractiveServerRenderMode(server =>
{
    server.ContentSecurityFrameAncestorsPolicy = null;
    server.DisableWebSocketCompression = true;
});
app.MapLogout();
app.MapDefaultEndpoints();
app.MapInlineScriptProbe();

app.Run();
