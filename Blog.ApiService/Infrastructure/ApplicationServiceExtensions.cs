using Blog.ApiService.Comments;
using Blog.ApiService.Data;
using Blog.ApiService.Live;
using Blog.ApiService.Posts;
using Blog.ApiService.RateLimiting;
using Blog.ApiService.Users;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Blog.ServiceDefaults.DependencyInjection;
using Blog.ServiceDefaults.Health;
using StackExchange.Redis;

namespace Blog.ApiService.Infrastructure;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        // The integrations' own health checks are replaced by "database" and "redis" below, which also
        // feed /api/health with a timeout each.
        // Retries and timeouts bounded by DatabaseOptions (the integration's own retry waits out whole outages).
        var database = builder.AddDatabaseOptions();
        builder.AddNpgsqlDbContext<BlogDbContext>("blogdb",
            settings =>
            {
                settings.DisableHealthChecks = true;
                settings.DisableRetry = true;
                if (settings.ConnectionString is { Length: > 0 } connectionString)
                {
                    settings.ConnectionString = database.WithConnectTimeout(connectionString);
                }
            },
            options => database.Apply(options.UseBlogConventions()));
        services.AddMigrations<BlogDbContext>();

        // Fail fast while Redis is away instead of queueing commands for seconds: every Redis use here
        // (cache, fan-out) has a Postgres or local fallback, so an immediate error is the useful answer.
        builder.AddRedisClient("cache",
            settings => settings.DisableHealthChecks = true,
            options => options.BacklogPolicy = BacklogPolicy.FailFast);
        services.AddHealthChecks()
            .AddDependencyCheck<DatabaseHealthCheck>("database")
            .AddDependencyCheck<RedisHealthCheck>("redis");
        services.AddStackExchangeRedisCache(_ => { });
        services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider>((options, sp) =>
            options.ConnectionMultiplexerFactory = () => Task.FromResult(sp.GetRequiredService<IConnectionMultiplexer>()));
        // HybridCache's second level fails soft (FailSoftDistributedCache): a Redis outage is a cache miss, not an error per request.
        services.Decorate<IDistributedCache>((inner, sp) =>
            ActivatorUtilities.CreateInstance<FailSoftDistributedCache>(sp, inner));
        services.AddHybridCache();

        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<AuthOptions>, AuthOptionsSetup>();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsSetup>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<AuthOptions>>((bearer, auth) =>
        {
            bearer.MapInboundClaims = false;
            bearer.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = auth.Value.Issuer,
                ValidAudience = auth.Value.Audience,
                IssuerSigningKey = TokenService.SigningKey(auth.Value),
                NameClaimType = "name",
                ClockSkew = TimeSpan.FromSeconds(30),
            };
        });
        services.AddAuthorization();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<UsersLog>();
        services.AddSingleton<PostsLog>();
        services.AddSingleton<CommentsLog>();
        services.AddSingleton<LiveLog>();
        services.AddSingleton<PostCache>();
        services.AddSingleton<LiveFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveFeed>());

        services.AddWriteRateLimits();
        services.AddBlogProblemDetails();
        services.AddSingleton<DatabaseOutageLog>();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddExceptionHandler<MissingReferenceHandler>();
        builder.WebHostLimits();
        services.AddOpenApi();
        return builder;
    }

    /// <summary>Validated on start like every options class; read once here because the DbContext pool is built from it.</summary>
    private static DatabaseOptions AddDatabaseOptions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        return builder.Configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
    }

    private static void WebHostLimits(this IHostApplicationBuilder builder) =>
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = ProblemDetailsExtensions.MaxRequestBodyBytes);
}
