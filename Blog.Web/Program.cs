using Blog.ServiceDefaults.Timeouts;
using Blog.Web.Api;
using Blog.Web.Auth;
using Blog.Web.Components;
using Blog.Web.ErrorTracking;
using Blog.Web.Live;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRequestDeadline();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddBlogApiClient();
builder.Services.AddBlogWebAuth();
builder.Services.AddOptions<BrowserSentryOptions>().BindConfiguration("Sentry");
builder.Services.AddLiveUpdates();

var app = builder.Build();

app.UseExceptionHandler("/Error", createScopeForErrors: true);
app.UseRequestDeadline();
if (!app.Environment.IsDevelopment())
{
    app.UseHsts();
}

app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.MapLogout();
app.MapDefaultEndpoints();

app.Run();
