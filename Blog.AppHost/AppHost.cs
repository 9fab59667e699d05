using Microsoft.Extensions.Configuration;
using Blog.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres and Redis: containers when a container engine answers (and always in the published
// manifest), otherwise local processes that expose the same connection strings.
var infrastructure = builder.AddBlogInfrastructure();

// Signs the API's bearer tokens; generated once and kept in user secrets so every replica and restart agree.
var jwtSigningKey = builder.AddParameter("jwt-signing-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);

var api = builder.AddProject<Projects.Blog_ApiService>("apiservice")
    .WithReplicas(builder.Configuration.GetValue("Blog:ApiReplicas", 1))
    .WithEnvironment("Auth__SigningKey", jwtSigningKey)
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Blog_Web>("webfrontend")
    .WithExternalHttpEndpoints()
    .WithReference(api).WaitFor(api)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
