using Blog.ServiceDefaults.Logging;
using Blog.ServiceDefaults.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Microsoft.Extensions.Hosting;

public static class LoggingExtensions
{
    /// <summary>The default console format: one JSON object per line (README.md, "Logs").</summary>
    public const string JsonFormatName = "blog-json";

    /// <summary>
    /// JSON lines on stdout by default, with trace and span ids on every line written inside a request. Set
    /// <c>Logging:Console:FormatterName</c> to <c>simple</c> (or another built-in console format) for a human format.
    /// </summary>
    public static TBuilder AddBlogLogging<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.TryAddSingleton<TelemetryDrops>();
        var configuredFormat = builder.Configuration["Logging:Console:FormatterName"];
        if (string.IsNullOrEmpty(configuredFormat) || configuredFormat == JsonFormatName)
        {
            foreach (var console in builder.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
            {
                builder.Services.Remove(console);
            }

            builder.Services.AddSingleton<ILoggerProvider>(services => new JsonConsoleLoggerProvider(services.GetRequiredService<TelemetryDrops>()));
            // The JSON format reads trace and span ids from the current activity; tracking them as scopes too
            // (the host's default) costs a lookup and a lock on the activity for every line.
            builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.None);
        }
        else
        {
            // The framework's formats read trace and span ids from scopes; the JSON format reads them from the activity.
            builder.Logging.Configure(options =>
                options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        }

        // Polly writes a line per HTTP attempt at Information (the OTLP exporter's own posts included);
        // retries and broken circuits still arrive as warnings.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // Four lines per outbound call; the call is already a span in the trace, and failures still log.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        return builder;
    }
}
