using Blog.ApiService.Comments;
using Blog.ApiService.Infrastructure;
using Blog.ApiService.Live;
using Blog.ApiService.Posts;
using Blog.ApiService.Users;
using Blog.ServiceDefaults.Health;
using Blog.ServiceDefaults.Timeouts;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRequestDeadline();
builder.AddApplicationServices();

var app = builder.Build();

app.UseBlogProblemDetails();
app.UseRequestDeadline();
app.UseWebSockets();
app.UseAuthentication();
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
