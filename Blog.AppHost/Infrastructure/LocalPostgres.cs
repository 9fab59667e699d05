using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Blog.AppHost.Infrastructure;

/// <summary>The machine's PostgreSQL server run as an Aspire executable.</summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string UserName = "postgres";

    public ParameterResource Password { get; } = password;

    public EndpointReference PrimaryEndpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={Password}");
}

/// <summary>A database on <see cref="LocalPostgresServerResource"/>; same connection string shape as Aspire's container database.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public LocalPostgresServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

public static class LocalPostgresBuilderExtensions
{
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, LocalInfrastructureOptions options)
    {
        var dataDirectory = Path.Combine(options.DataDirectory, "postgres");
        var password = builder.AddParameter($"{name}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);

        var command = options.RunAsPostgresUser ? "setpriv" : options.PostgresPath;
        var server = new LocalPostgresServerResource(name, command, options.DataDirectory, password.Resource);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, ct) =>
            connectionString = await server.ConnectionStringExpression.GetValueAsync(ct));

        // initdb on first start, and the password set on every start so a data directory kept from an
        // earlier run works whatever password this run generated or was given.
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (evt, ct) =>
        {
            var logger = evt.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            await PrepareDataDirectoryAsync(options, dataDirectory, await password.Resource.GetValueAsync(ct) ?? "", logger, ct);
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException($"Connection string for '{name}' is not available yet."),
            name: healthCheckKey);

        return builder.AddResource(server)
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                if (options.RunAsPostgresUser)
                {
                    context.Args.Add("--reuid=postgres");
                    context.Args.Add("--regid=postgres");
                    context.Args.Add("--init-groups");
                    context.Args.Add("--");
                    context.Args.Add(options.PostgresPath);
                }

                context.Args.Add("-D");
                context.Args.Add(dataDirectory);
                context.Args.Add("-p");
                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                // Loopback only, and no unix socket so a system cluster on this machine cannot clash.
                context.Args.Add("-c");
                context.Args.Add("listen_addresses=127.0.0.1");
                context.Args.Add("-c");
                context.Args.Add("unix_socket_directories=");
            })
            .WithHealthCheck(healthCheckKey);
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);

        // Create the database once the server answers, as Aspire's container integration does.
        builder.Eventing.Subscribe<ResourceReadyEvent>(server.Resource, async (evt, ct) =>
        {
            var serverConnection = await server.Resource.ConnectionStringExpression.GetValueAsync(ct);
            await using var connection = new NpgsqlConnection(serverConnection);
            await connection.OpenAsync(ct);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
            exists.Parameters.AddWithValue("name", database.DatabaseName);
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                var quoted = "\"" + database.DatabaseName.Replace("\"", "\"\"") + "\"";
                await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
                await create.ExecuteNonQueryAsync(ct);
            }

            // DCP knows nothing of a database; mark it running so its health check starts and WaitFor can proceed.
            await evt.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, snapshot => snapshot with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            });
        });

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(database, async (_, ct) =>
            connectionString = await database.ConnectionStringExpression.GetValueAsync(ct));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException($"Connection string for '{name}' is not available yet."),
            name: healthCheckKey);

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new(CustomResourceKnownProperties.Source, server.Resource.Name)],
            })
            .WithHealthCheck(healthCheckKey);
    }

    private static async Task PrepareDataDirectoryAsync(
        LocalInfrastructureOptions options, string dataDirectory, string password, ILogger logger, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDirectory);
        if (options.RunAsPostgresUser)
        {
            await RunAsync(options, "chown", ["-R", "postgres:postgres", dataDirectory], null, logger, asPostgres: false, ct);
            await RunAsync(options, "chmod", ["700", dataDirectory], null, logger, asPostgres: false, ct);
            if (await RunAsync(options, "test", ["-w", dataDirectory], null, logger, asPostgres: true, ct, throwOnError: false) != 0)
            {
                throw new DistributedApplicationException(
                    $"The postgres user cannot reach '{dataDirectory}' (a parent directory is private, such as /root). " +
                    $"Set {LocalInfrastructureOptions.DataDirectoryKey} to a directory outside it, for example /var/lib/blog.");
            }
        }

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            logger.LogInformation("Initialising a new PostgreSQL data directory in {DataDirectory}", dataDirectory);
            await RunAsync(options, options.InitDbPath,
                ["-D", dataDirectory, "-U", LocalPostgresServerResource.UserName, "--auth-host=scram-sha-256", "--auth-local=peer", "--encoding=UTF8", "--no-instructions"],
                null, logger, asPostgres: true, ct);
        }

        var escaped = password.Replace("'", "''");
        await RunAsync(options, options.PostgresPath, ["--single", "-D", dataDirectory, "postgres"],
            $"ALTER ROLE {LocalPostgresServerResource.UserName} PASSWORD '{escaped}';\n", logger, asPostgres: true, ct, logOutput: false);
    }

    private static async Task<int> RunAsync(
        LocalInfrastructureOptions options, string file, IReadOnlyList<string> arguments, string? input, ILogger logger,
        bool asPostgres, CancellationToken ct, bool throwOnError = true, bool logOutput = true)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres && options.RunAsPostgresUser ? "setpriv" : file,
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && options.RunAsPostgresUser)
        {
            foreach (var arg in new[] { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", file })
            {
                start.ArgumentList.Add(arg);
            }
        }

        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (logOutput)
        {
            foreach (var line in ((await stdout) + (await stderr)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                logger.LogInformation("{Line}", line);
            }
        }

        if (process.ExitCode != 0 && throwOnError)
        {
            // Single-user mode echoes its input; never let the password reach the error text.
            throw new DistributedApplicationException($"'{Path.GetFileName(file)}' exited with code {process.ExitCode} while preparing {Path.GetFileName(Path.GetDirectoryName(file) ?? file)}.");
        }

        return process.ExitCode;
    }
}
