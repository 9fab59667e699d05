using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// One flat JSON object per line: timestamp, level, logger, event, message, then every scope and
/// state field as its own snake_case key (request_id, trace_id, post_id, ...), so a log store can
/// answer "user_id = 42 AND level = error" without parsing text. Later scopes and the log call's own
/// fields win over earlier ones; the fixed keys cannot be overwritten.
/// </summary>
public sealed class JsonLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "blog-json";

    private static readonly HashSet<string> FixedKeys = ["timestamp", "level", "logger", "event", "message", "exception"];

    // ASP.NET Core's hosting scope repeats what the request-id scope says better (its RequestId is
    // Kestrel's connection-based id, not ours); ParentId is noise next to trace_id/span_id.
    private static readonly HashSet<string> DroppedScopeKeys = ["RequestId", "RequestPath", "ParentId"];

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
        scopeProvider?.ForEachScope((scope, state) => AddFields(state, scope, fromScope: true), fields);
        AddFields(fields, logEntry.State, fromScope: false);

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("level", Level(logEntry.LogLevel));
            json.WriteString("logger", logEntry.Category);
            json.WriteString("event", logEntry.EventId.Name ?? (logEntry.EventId.Id != 0 ? logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture) : "log"));
            json.WriteString("message", message ?? "");
            foreach (var (key, value) in fields)
            {
                WriteValue(json, key, value);
            }

            if (logEntry.Exception is { } exception)
            {
                json.WriteStartObject("exception");
                json.WriteString("type", exception.GetType().FullName);
                json.WriteString("message", exception.Message);
                json.WriteString("stack", exception.ToString());
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // Utf8JsonWriter escapes control characters, so CR/LF in any value cannot split the line.
        textWriter.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        textWriter.Write('\n');
    }

    private static void AddFields(Dictionary<string, object?> fields, object? state, bool fromScope)
    {
        if (state is not IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            return;
        }

        foreach (var (key, value) in pairs)
        {
            if (key == "{OriginalFormat}" || (fromScope && DroppedScopeKeys.Contains(key)))
            {
                continue;
            }

            var name = SnakeCase(key);
            fields[FixedKeys.Contains(name) ? "field_" + name : name] = value;
        }
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
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
                json.WriteString(key, dto.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                break;
            case DateTime dt:
                json.WriteString(key, dt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
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

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "info",
    };

    /// <summary>PostId, postId and post_id all become post_id.</summary>
    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var ch = name[i];
            if (char.IsUpper(ch))
            {
                var previousIsLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (builder.Length > 0 && builder[^1] != '_' && (previousIsLowerOrDigit || (nextIsLower && i > 0 && char.IsUpper(name[i - 1]))))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(ch));
            }
            else
            {
                builder.Append(ch is '.' or '-' or ' ' ? '_' : ch);
            }
        }

        return builder.ToString();
    }
}
