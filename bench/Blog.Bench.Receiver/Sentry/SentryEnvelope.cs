using System.Text.Json;

namespace Blog.Bench.Receiver.Sentry;

/// <summary>
/// The parts of a Sentry envelope the benchmark counts: a JSON header line, then items, each a JSON
/// header line followed by a payload of <c>length</c> bytes or, without a length, up to the next newline.
/// </summary>
public sealed record SentryEnvelope(string? EventId, IReadOnlyList<string> ItemTypes)
{
    public static SentryEnvelope Parse(ReadOnlySpan<byte> content)
    {
        var position = 0;
        var header = ReadLine(content, ref position);
        var eventId = ReadHeader(header, "event_id").Text;

        var types = new List<string>();
        while (position < content.Length)
        {
            var line = ReadLine(content, ref position);
            if (line.Trim((byte)'\r').IsEmpty)
            {
                continue;
            }

            var (type, length) = ReadItemHeader(line);
            types.Add(type);
            if (length is { } bytes)
            {
                if (bytes > content.Length - position)
                {
                    throw new InvalidDataException("An item's length runs past the end of the envelope.");
                }

                position += (int)bytes;
                if (position < content.Length && content[position] == (byte)'\n')
                {
                    position++;
                }
            }
            else
            {
                ReadLine(content, ref position);
            }
        }

        return new SentryEnvelope(eventId, types);
    }

    private static ReadOnlySpan<byte> ReadLine(ReadOnlySpan<byte> content, ref int position)
    {
        var rest = content[position..];
        var end = rest.IndexOf((byte)'\n');
        if (end < 0)
        {
            position = content.Length;
            return rest;
        }

        position += end + 1;
        return rest[..end];
    }

    private static (string Type, long? Length) ReadItemHeader(ReadOnlySpan<byte> line)
    {
        var type = ReadHeader(line, "type");
        return (type.Text ?? throw new InvalidDataException("An item header has no type."), ReadHeader(line, "length").Number);
    }

    private static (string? Text, long? Number) ReadHeader(ReadOnlySpan<byte> json, string name)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException("A header is not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                if (match)
                {
                    return reader.TokenType switch
                    {
                        JsonTokenType.String => (reader.GetString(), null),
                        JsonTokenType.Number => (null, reader.GetInt64()),
                        _ => (null, null),
                    };
                }

                reader.Skip();
            }

            return (null, null);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A header is not valid JSON.", ex);
        }
    }
}
