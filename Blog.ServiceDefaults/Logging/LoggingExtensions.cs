using Blog.ServiceDefaults.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Microsoft.Extensions.Hosting;

public static class LoggingExtensions
{
    /// <summary>
    /// JSON console logs by default (set <c>Logging:Console:FormatterName</c> to <c>simple</c> for a
    /// human format), with trace and span ids on every line written inside a request.
    /// </summary>
    public static TBuilder AddBlogLogging<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddConsoleFormatter<JsonLogFormatter, ConsoleFormatterOptions>();
        var configuredFormatter = builder.Configuration["Logging:Console:FormatterName"];
        builder.Services.Configure<ConsoleLoggerOptions>(options =>
            options.FormatterName = string.IsNullOrEmpty(configuredFormatter) ? JsonLogFormatter.FormatterName : configuredFormatter);
        builder.Services.Configure<ConsoleFormatterOptions>(JsonLogFormatter.FormatterName, options => options.IncludeScopes = true);
        // Polly writes a line per HTTP attempt at Information (the OTLP exporter's own posts included);
        // retries and broken circuits still arrive as warnings.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // Four lines per outbound call; the call is already a span in the trace, and failures still log.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.Configure(options =>
            options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        return builder;
    }
}
