using Microsoft.Extensions.Configuration;
using Blog.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Postgres and Redis: containers when a container engine answers (and always in the published
// manifest), otherwise local processes that expose the same connection strings.
var infrastructure = builder.AddBlogInfrastructure();

// Signs the API's bearer tokens; generated once and kept in user secrets so every replica and restart agree.
var jwtSigningKey = builder.AddParameter("jwt-signing-key",
    new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);

// Prometheus must present this bearer token to scrape /metrics.
var metricsScrapeToken = builder.AddParameter("metrics-scrape-token",
    new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// Set Parameters:sentry-dsn to report to Sentry. Empty (the default): the services report to a local
// Spotlight sidecar instead, or with Blog:Spotlight=false not at all.
var sentryDsn = builder.AddParameter("sentry-dsn", () => builder.Configuration["Parameters:sentry-dsn"] ?? "", secret: true);
var spotlight = builder.AddSpotlightWhenNoSentryDsn();
// The web frontend's browser SDK has its own DSN (a browser project in Sentry); empty: Spotlight, or off.
var sentryBrowserDsn = builder.AddParameter("sentry-browser-dsn", () => builder.Configuration["Parameters:sentry-browser-dsn"] ?? "");

// Keys the hash that stands in for personal data (emails) in logs, so it correlates across replicas and restarts.
var redactionKey = builder.AddParameter("redaction-hmac-key",
    new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true, persist: true);

// Aspire sets LOGGING__CONSOLE__FORMATTERNAME (this exact spelling: environment names are case-sensitive,
// so a differently cased key would race it); Blog's contract is one JSON object per
// line. Blog:ConsoleLogFormat=simple gives a human format for local reading.
var consoleLogFormat = builder.Configuration["Blog:ConsoleLogFormat"] is { Length: > 0 } format ? format : "blog-json";

var api = builder.AddProject<Projects.Blog_ApiService>("apiservice")
    .WithEnvironment("LOGGING__CONSOLE__FORMATTERNAME", consoleLogFormat)
    .WithReplicas(builder.Configuration.GetValue("Blog:ApiReplicas", 1))
    .WithEnvironment("Auth__SigningKey", jwtSigningKey)
    .WithEnvironment("Metrics__ScrapeToken", metricsScrapeToken)
    .WithSentryDsn(sentryDsn, spotlight)
    .WithEnvironment("Redaction__HmacKey", redactionKey)
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithReference(infrastructure.Cache).WaitFor(infrastructure.Cache)
    .WithHttpHealthCheck("/health");

var web = builder.AddProject<Projects.Blog_Web>("webfrontend")
    .WithExternalHttpEndpoints()
    .WithEnvironment("LOGGING__CONSOLE__FORMATTERNAME", consoleLogFormat)
    .WithEnvironment("Metrics__ScrapeToken", metricsScrapeToken)
    .WithSentryDsn(sentryDsn, spotlight)
    .WithBrowserSentryDsn(sentryBrowserDsn, spotlight)
    .WithEnvironment("Redaction__HmacKey", redactionKey)
    .WithReference(api).WaitFor(api)
    .WithHttpHealthCheck("/health");

// Run mode only: Prometheus scraping every replica with the token, loading ops/prometheus's rules, on port 9090
// (Blog:PrometheusPort); Blog:Prometheus=false leaves it out.
builder.AddPrometheusWhenEnabled(infrastructure.Mode, metricsScrapeToken, api, web);

builder.Build().Run();
