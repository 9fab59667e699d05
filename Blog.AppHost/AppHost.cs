using Blog.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres and Redis: containers when a container engine answers (and always in the published
// manifest), otherwise local processes that expose the same connection strings.
var infrastructure = builder.AddBlogInfrastructure();

var api = builder.AddProject<Projects.Blog_ApiService>("apiservice")
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Blog_Web>("webfrontend")
    .WithExternalHttpEndpoints()
    .WithReference(api).WaitFor(api)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
