using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Blog.ServiceDefaults.Tracing;

/// <summary>
/// Which telemetry this process exports, read once at start from the standard OpenTelemetry variables
/// (<c>OTEL_SDK_DISABLED</c>, <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none</c>,
/// <c>OTEL_TRACES_SAMPLER</c>). A signal nobody receives is not produced at all: building spans or log
/// records for no exporter costs a share of every request (docs/performance.md).
/// </summary>
public sealed record TelemetrySignals(bool Traces, bool OtlpLogs, bool OtlpMetrics, bool SamplerConfigured, double SampleRatio,
    IReadOnlySet<string> ErrorTrackingHosts)
{
    public static TelemetrySignals From(IConfiguration configuration, IHostEnvironment environment)
    {
        var disabled = configuration.GetValue<bool>("OTEL_SDK_DISABLED");
        var otlp = !disabled && !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        bool Exported(string signal) =>
            otlp && !string.Equals(configuration[$"OTEL_{signal}_EXPORTER"], "none", StringComparison.OrdinalIgnoreCase);

        return new TelemetrySignals(
            Traces: Exported("TRACES"),
            OtlpLogs: Exported("LOGS"),
            OtlpMetrics: Exported("METRICS"),
            SamplerConfigured: !string.IsNullOrWhiteSpace(configuration["OTEL_TRACES_SAMPLER"]),
            SampleRatio: DefaultSampleRatio(configuration, environment),
            ErrorTrackingHosts: Authorities(configuration["Sentry:Dsn"], configuration["Sentry:SpotlightUrl"]));
    }

    /// <summary>
    /// Whether an outgoing call is the Sentry SDK sending its envelopes (to Sentry or Spotlight): tracing those
    /// would make every trace produce another one, the telemetry observing itself.
    /// </summary>
    public bool IsErrorTrackingCall(HttpRequestMessage request) =>
        request.RequestUri is { IsAbsoluteUri: true } uri && ErrorTrackingHosts.Contains(uri.Authority);

    private static HashSet<string> Authorities(params string?[] urls) =>
        urls.Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Authority : null)
            .OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The share of requests traced when <c>OTEL_TRACES_SAMPLER</c> does not say: <c>Sentry:TracesSampleRate</c>
    /// if set, else a tenth in Production and every request elsewhere. OpenTelemetry and Sentry use the same
    /// decision (<see cref="TraceSampling"/>), so a sampled request has both a trace and a Sentry transaction.
    /// </summary>
    public static double DefaultSampleRatio(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue<double?>("Sentry:TracesSampleRate") ?? (environment.IsProduction() ? 0.1 : 1.0);
}
