using Blog.ApiService.Data;
using Blog.ApiService.Posts;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDbContext<BlogDbContext>("blogdb", configureDbContextOptions: options => options.UseBlogConventions());
builder.AddRedisClient("cache");
builder.Services.AddMigrations<BlogDbContext>();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPosts();

app.Run();
