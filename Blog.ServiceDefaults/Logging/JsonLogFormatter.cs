using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// One flat JSON object per line: timestamp, level, logger, event, message, trace_id and span_id, then
/// every scope and state field as its own snake_case key (request_id, post_id, ...), so a log store can
/// answer "user_id = 42 AND level = error" without parsing text. Later scopes and the log call's own
/// fields win over earlier ones; the fixed keys cannot be overwritten. The keys are the contract in
/// README.md ("Operating Blog: Logs").
/// </summary>
/// <remarks>
/// Written straight to UTF-8 with no per-line dictionary or string copy: this runs once per request
/// for the access log, so its allocations are paid at the request rate (docs/performance.md).
/// </remarks>
public static class JsonLogFormatter
{
    private static readonly string[] FixedKeys = ["timestamp", "level", "logger", "event", "message", "exception", "trace_id", "span_id"];

    // ASP.NET Core's hosting scope repeats what the request-id scope says better (its RequestId is
    // Kestrel's connection-based id, not ours); ParentId is noise next to trace_id/span_id.
    private static readonly string[] DroppedScopeKeys = ["RequestId", "RequestPath", "ParentId", "SpanId", "TraceId"];

    // Field names are few (one set per log event), so each is converted once.
    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    [ThreadStatic]
    private static List<KeyValuePair<string, object?>>? t_fields;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes one log line (with its trailing newline) to <paramref name="output"/>; nothing when there is nothing to say.</summary>
    public static void Write<TState>(IBufferWriter<byte> output, string category, LogLevel level, EventId eventId, TState state,
        Exception? exception, Func<TState, Exception?, string> formatter, IExternalScopeProvider? scopes)
    {
        var message = formatter(state, exception);
        if (string.IsNullOrEmpty(message) && exception is null)
        {
            return;
        }

        var fields = t_fields ??= new List<KeyValuePair<string, object?>>(16);
        fields.Clear();
        try
        {
            scopes?.ForEachScope(static (scope, list) => AddFields(list, scope, fromScope: true), fields);
            AddFields(fields, state, fromScope: false);

            var json = t_writer ??= new Utf8JsonWriter(output, WriterOptions);
            json.Reset(output);
            json.WriteStartObject();
            Span<char> timestamp = stackalloc char[24];
            DateTime.UtcNow.TryFormat(timestamp, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            json.WriteString("timestamp", timestamp[..written]);
            json.WriteString("level", Level(level));
            json.WriteString("logger", category);
            json.WriteString("event", EventName(eventId));
            json.WriteString("message", message);
            if (Activity.Current is { } activity)
            {
                // An activity keeps its ids as hex strings, so these allocate nothing.
                json.WriteString("trace_id", activity.TraceId.ToHexString());
                json.WriteString("span_id", activity.SpanId.ToHexString());
            }

            for (var i = 0; i < fields.Count; i++)
            {
                if (!WrittenLater(fields, i))
                {
                    WriteValue(json, fields[i].Key, fields[i].Value);
                }
            }

            if (exception is not null)
            {
                json.WriteStartObject("exception");
                json.WriteString("type", exception.GetType().FullName);
                json.WriteString("message", exception.Message);
                json.WriteString("stack", exception.ToString());
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.Flush();
        }
        finally
        {
            fields.Clear();
            t_writer?.Reset(Stream.Null);
        }

        // Utf8JsonWriter escapes control characters, so CR/LF in any value cannot split the line.
        output.Write("\n"u8);
    }

    /// <summary>PostId, postId and post_id all become post_id; dots and dashes become underscores.</summary>
    public static string FieldName(string key) => Names.GetOrAdd(key, static k =>
    {
        var name = JsonNamingPolicy.SnakeCaseLower.ConvertName(k.Replace('.', '_').Replace('-', '_').Replace(' ', '_'));
        return Array.IndexOf(FixedKeys, name) >= 0 ? "field_" + name : name;
    });

    private static bool WrittenLater(List<KeyValuePair<string, object?>> fields, int index)
    {
        for (var j = index + 1; j < fields.Count; j++)
        {
            if (ReferenceEquals(fields[j].Key, fields[index].Key) || fields[j].Key == fields[index].Key)
            {
                return true;
            }
        }

        return false;
    }

    private static void AddFields(List<KeyValuePair<string, object?>> fields, object? state, bool fromScope)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> pairs)
        {
            if (state is IEnumerable<KeyValuePair<string, object?>> enumerable)
            {
                foreach (var pair in enumerable)
                {
                    Add(fields, pair, fromScope);
                }
            }

            return;
        }

        for (var i = 0; i < pairs.Count; i++)
        {
            Add(fields, pairs[i], fromScope);
        }
    }

    private static void Add(List<KeyValuePair<string, object?>> fields, KeyValuePair<string, object?> pair, bool fromScope)
    {
        if (pair.Key == "{OriginalFormat}" || (fromScope && Array.IndexOf(DroppedScopeKeys, pair.Key) >= 0))
        {
            return;
        }

        fields.Add(new(FieldName(pair.Key), pair.Value));
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case string s:
                json.WriteString(key, s);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case int i:
                json.WriteNumber(key, i);
                break;
            case long l:
                json.WriteNumber(key, l);
                break;
            case short or byte or uint or ushort or sbyte:
                json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong ul:
                json.WriteNumber(key, ul);
                break;
            case double d when double.IsFinite(d):
                json.WriteNumber(key, d);
                break;
            case float f when float.IsFinite(f):
                json.WriteNumber(key, f);
                break;
            case decimal m:
                json.WriteNumber(key, m);
                break;
            case DateTimeOffset dto:
                json.WriteString(key, dto.ToUniversalTime());
                break;
            case DateTime dt:
                json.WriteString(key, dt.ToUniversalTime());
                break;
            case TimeSpan ts:
                json.WriteNumber(key, ts.TotalMilliseconds);
                break;
            case IFormattable formattable:
                json.WriteString(key, formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString(key, value.ToString());
                break;
        }
    }

    private static string EventName(EventId eventId) =>
        eventId.Name ?? (eventId.Id != 0 ? eventId.Id.ToString(CultureInfo.InvariantCulture) : "log");

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "info",
    };
}
