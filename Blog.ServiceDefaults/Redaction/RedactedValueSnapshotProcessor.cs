using Microsoft.Extensions.ObjectPool;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace Blog.ServiceDefaults.Redaction;

/// <summary>
/// Turns redacted log values into plain strings while the log call is still running.
/// With <c>EnableRedaction()</c>, a classified value arrives as a pooled object that renders its redacted text
/// on demand and goes back to the pool when the log call returns. The OTLP exporter batches records and reads
/// them later, by which time the object is reset: the attribute was silently dropped
/// (open-telemetry/opentelemetry-dotnet#5276, dotnet/extensions#5080). Registered ahead of the exporters.
/// </summary>
internal sealed class RedactedValueSnapshotProcessor : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        if (data.Attributes is not { } attributes)
        {
            return;
        }

        for (var i = 0; i < attributes.Count; i++)
        {
            if (attributes[i].Value is IResettable)
            {
                data.Attributes = attributes
                    .Select(a => a.Value is IResettable pooled ? new KeyValuePair<string, object?>(a.Key, pooled.ToString()) : a)
                    .ToList();
                return;
            }
        }
    }
}
