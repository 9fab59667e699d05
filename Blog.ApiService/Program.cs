using Blog.ApiService.Comments;
using Blog.ApiService.Infrastructure;
using Blog.ApiService.Live;
using Blog.ApiService.Posts;
using Blog.ApiService.RateLimiting;
using Blog.ApiService.Users;
using Blog.ServiceDefaults.Health;
using Blog.ServiceDefaults.Timeouts;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseClientAddresses();
app.UseBlogProblemDetails();
app.UseRequestDeadline();
app.UseWebSockets();
app.UseAuthentication();
// After authentication (limits count per account), before authorization (anonymous attempts count per address).
app.UseRateLimiter();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapDependencyHealth("/api/health");
app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

app.MapUsers();
app.MapPosts();
app.MapComments();
app.MapLive();

app.Run();
