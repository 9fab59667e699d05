using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Blog.ServiceDefaults.Tracing;

/// <summary>One sampling decision per request, shared by OpenTelemetry and Sentry.</summary>
public sealed class TraceSampling(TelemetrySignals signals)
{
    /// <summary>
    /// Whether this request gets a Sentry transaction. Probes and scrapes never do. When this process exports
    /// traces, exactly the requests whose activity OpenTelemetry recorded do (the same share, the same requests,
    /// and the transaction carries the trace's id); otherwise <see cref="TelemetrySignals.SampleRatio"/> decides.
    /// </summary>
    public bool ShouldSample(HttpContext context)
    {
        if (Microsoft.Extensions.Hosting.Extensions.IsProbe(context.Request.Path))
        {
            return false;
        }

        if (signals.Traces && Activity.Current is { } activity)
        {
            return activity.Recorded;
        }

        return signals.SampleRatio >= 1.0 || Random.Shared.NextDouble() < signals.SampleRatio;
    }
}
