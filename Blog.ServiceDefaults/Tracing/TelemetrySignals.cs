using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Blog.ServiceDefaults.Tracing;

/// <summary>
/// Which telemetry this process exports, read once at start from the standard OpenTelemetry variables
/// (<c>OTEL_SDK_DISABLED</c>, <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none</c>,
/// <c>OTEL_TRACES_SAMPLER</c>) and Sentry's settings. A signal nobody receives is not produced at all: building
/// spans or log records for no exporter costs a share of every request (docs/performance.md).
/// </summary>
/// <param name="OtlpTraces">Whether spans go to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the dashboard, a collector).</param>
/// <param name="SentryTraces">Where Sentry's OTLP endpoint takes the sampled traces, when Sentry gets its
/// transactions from OpenTelemetry rather than from its SDK (<see cref="SentryOtlpTarget"/>).</param>
public sealed record TelemetrySignals(bool OtlpTraces, bool OtlpLogs, bool OtlpMetrics, bool SamplerConfigured, double SampleRatio,
    IReadOnlySet<string> ErrorTrackingHosts, SentryOtlpTarget? SentryTraces)
{
    /// <summary>Whether requests are traced at all: spans go to the OTLP endpoint, to Sentry, or both.</summary>
    public bool Traces => OtlpTraces || SentryTraces is not null;

    /// <summary><c>otlp</c>: Sentry's transactions are the sampled OpenTelemetry traces, sent to Sentry's OTLP endpoint in
    /// batches; <c>sdk</c>: the Sentry SDK makes one per sampled request. Default: <c>otlp</c> outside Development.</summary>
    public const string TransactionsKey = "Sentry:Transactions";

    public static TelemetrySignals From(IConfiguration configuration, IHostEnvironment environment)
    {
        var disabled = configuration.GetValue<bool>("OTEL_SDK_DISABLED");
        var otlp = !disabled && !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        bool Exported(string signal) =>
            otlp && !string.Equals(configuration[$"OTEL_{signal}_EXPORTER"], "none", StringComparison.OrdinalIgnoreCase);

        var sentryTraces = disabled ? null : SentryTracesTarget(configuration, environment);
        return new TelemetrySignals(
            OtlpTraces: Exported("TRACES"),
            OtlpLogs: Exported("LOGS"),
            OtlpMetrics: Exported("METRICS"),
            SamplerConfigured: !string.IsNullOrWhiteSpace(configuration["OTEL_TRACES_SAMPLER"]),
            SampleRatio: DefaultSampleRatio(configuration, environment),
            ErrorTrackingHosts: Authorities(configuration["Sentry:Dsn"], configuration["Sentry:SpotlightUrl"]),
            SentryTraces: sentryTraces);
    }

    /// <summary>
    /// Sentry's OTLP traces endpoint for the configured DSN, unless <see cref="TransactionsKey"/> says <c>sdk</c> or, by
    /// default, in Development, where Spotlight shows the SDK's transactions and every request is traced anyway.
    /// </summary>
    private static SentryOtlpTarget? SentryTracesTarget(IConfiguration configuration, IHostEnvironment environment)
    {
        var mode = configuration[TransactionsKey];
        var overOtlp = string.IsNullOrWhiteSpace(mode)
            ? !environment.IsDevelopment()
            : mode.Trim().ToLowerInvariant() switch
            {
                "otlp" => true,
                "sdk" => false,
                _ => throw new InvalidOperationException($"{TransactionsKey} is '{mode}'; it is 'otlp' or 'sdk'."),
            };
        return overOtlp ? SentryOtlpTarget.FromDsn(configuration["Sentry:Dsn"]) : null;
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
