using System.Diagnostics;
using Blog.ServiceDefaults.Tracing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Blog.Tests.Unit.Tracing;

/// <summary>One sampling decision per request, shared by OpenTelemetry and Sentry.</summary>
public sealed class TraceSamplingTests
{
    private static TelemetrySignals Signals(params (string Key, string Value)[] settings) =>
        TelemetrySignals.From(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build(),
            new Environment(Environments.Production));

    private static HttpContext Request(string path) => new DefaultHttpContext { Request = { Path = path } };

    private static Activity Started(bool recorded)
    {
        var activity = new Activity("request").SetIdFormat(ActivityIdFormat.W3C);
        activity.ActivityTraceFlags = recorded ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None;
        return activity.Start();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void When_traces_are_exported_sentry_samples_exactly_what_opentelemetry_recorded(bool recorded)
    {
        var sampling = new TraceSampling(Signals(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"), ("Sentry:TracesSampleRate", "1.0")));
        using var activity = Started(recorded);

        Assert.Equal(recorded, sampling.ShouldSample(Request("/api/posts/1")));
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/metrics")]
    public void Probes_and_scrapes_are_never_sampled(string path)
    {
        var sampling = new TraceSampling(Signals(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")));
        using var activity = Started(recorded: true);

        Assert.False(sampling.ShouldSample(Request(path)));
    }

    [Theory]
    [InlineData("1.0", true)]
    [InlineData("0", false)]
    public void Without_trace_export_sentrys_own_rate_decides(string rate, bool sampled)
    {
        var sampling = new TraceSampling(Signals(("Sentry:TracesSampleRate", rate)));
        using var activity = Started(recorded: !sampled);

        Assert.Equal(sampled, sampling.ShouldSample(Request("/api/posts")));
    }

    [Fact]
    public void Production_traces_a_tenth_unless_configured()
    {
        Assert.Equal(0.1, Signals().SampleRatio);
        Assert.Equal(0.5, Signals(("Sentry:TracesSampleRate", "0.5")).SampleRatio);
    }

    [Fact]
    public void No_signal_is_built_without_a_receiver_and_none_switches_one_off()
    {
        Assert.False(Signals().Traces);
        Assert.False(Signals().OtlpLogs);
        var otlp = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        Assert.True(Signals(otlp).Traces && Signals(otlp).OtlpLogs && Signals(otlp).OtlpMetrics);
        Assert.False(Signals(otlp, ("OTEL_TRACES_EXPORTER", "none")).Traces);
        Assert.False(Signals(otlp, ("OTEL_LOGS_EXPORTER", "none")).OtlpLogs);
        Assert.False(Signals(otlp, ("OTEL_SDK_DISABLED", "true")).Traces);
    }

    [Fact]
    public void The_sentry_sdks_own_posts_are_recognised_so_they_are_not_traced()
    {
        var signals = Signals(("Sentry:Dsn", "http://public@127.0.0.1:9000/1"), ("Sentry:SpotlightUrl", "http://127.0.0.1:8969/stream"));

        Assert.True(signals.IsErrorTrackingCall(new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:9000/api/1/envelope/")));
        Assert.True(signals.IsErrorTrackingCall(new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:8969/stream")));
        Assert.False(signals.IsErrorTrackingCall(new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:5480/api/posts")));
    }

    [Theory]
    [InlineData("https://abc123@o42.ingest.us.sentry.io/4567", "https://o42.ingest.us.sentry.io/api/4567/integration/otlp/v1/traces", "abc123")]
    [InlineData("http://public:secret@127.0.0.1:9000/1", "http://127.0.0.1:9000/api/1/integration/otlp/v1/traces", "public")]
    [InlineData("https://key@sentry.example.com/sentry/12", "https://sentry.example.com/sentry/api/12/integration/otlp/v1/traces", "key")]
    public void Sentrys_otlp_endpoint_and_key_come_from_the_dsn(string dsn, string endpoint, string key)
    {
        var target = SentryOtlpTarget.FromDsn(dsn)!;

        Assert.Equal(endpoint, target.Endpoint.ToString());
        Assert.Equal($"x-sentry-auth=sentry sentry_key={key}", target.Headers);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("https://o42.ingest.us.sentry.io/4567")]
    public void Without_a_usable_dsn_there_is_no_sentry_endpoint(string? dsn) => Assert.Null(SentryOtlpTarget.FromDsn(dsn));

    [Fact]
    public void Outside_development_sentry_takes_the_traces_over_otlp_unless_told_otherwise()
    {
        var dsn = ("Sentry:Dsn", "https://abc123@o42.ingest.us.sentry.io/4567");

        var production = Signals(dsn);
        Assert.NotNull(production.SentryTraces);
        // Sentry alone is a reason to trace; the collector's exporter is another.
        Assert.True(production.Traces);
        Assert.False(production.OtlpTraces);

        Assert.Null(Signals(dsn, ("Sentry:Transactions", "sdk")).SentryTraces);
        Assert.Null(Signals(dsn, ("OTEL_SDK_DISABLED", "true")).SentryTraces);
        Assert.Null(Signals().SentryTraces);
        Assert.Null(TelemetrySignals.From(Configuration(dsn), new Environment(Environments.Development)).SentryTraces);
        Assert.NotNull(TelemetrySignals.From(Configuration(dsn, ("Sentry:Transactions", "otlp")), new Environment(Environments.Development)).SentryTraces);
        Assert.Throws<InvalidOperationException>(() => Signals(dsn, ("Sentry:Transactions", "both")));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Blog.Tests";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}
