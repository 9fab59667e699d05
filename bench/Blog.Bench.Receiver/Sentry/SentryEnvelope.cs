using System.Text.Json;

namespace Blog.Bench.Receiver.Sentry;

/// <summary>
/// The parts of a Sentry envelope the benchmark counts: a JSON header line, then items, each a JSON
/// header line followed by a payload of <c>length</c> bytes or, without a length, up to the next newline.
/// A <c>client_report</c> item is read too: it is how the SDK says what it discarded and why (its queue full,
/// a rate limit), so the benchmark can tell transactions shed by the SDK from transactions never made.
/// </summary>
public sealed record SentryEnvelope(string? EventId, IReadOnlyList<string> ItemTypes, long DiscardedTransactions = 0)
{
    public static SentryEnvelope Parse(ReadOnlySpan<byte> content)
    {
        var position = 0;
        var header = ReadLine(content, ref position);
        var eventId = ReadHeader(header, "event_id").Text;

        var types = new List<string>();
        long discarded = 0;
        while (position < content.Length)
        {
            var line = ReadLine(content, ref position);
            if (line.Trim((byte)'\r').IsEmpty)
            {
                continue;
            }

            var (type, length) = ReadItemHeader(line);
            types.Add(type);
            ReadOnlySpan<byte> payload;
            if (length is { } bytes)
            {
                if (bytes > content.Length - position)
                {
                    throw new InvalidDataException("An item's length runs past the end of the envelope.");
                }

                payload = content.Slice(position, (int)bytes);
                position += (int)bytes;
                if (position < content.Length && content[position] == (byte)'\n')
                {
                    position++;
                }
            }
            else
            {
                payload = ReadLine(content, ref position);
            }

            if (type == "client_report")
            {
                discarded += DiscardedTransactionsIn(payload);
            }
        }

        return new SentryEnvelope(eventId, types, discarded);
    }

    /// <summary>Sums <c>discarded_events[].quantity</c> of category <c>transaction</c>, whatever the reason.</summary>
    private static long DiscardedTransactionsIn(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var report = JsonDocument.Parse(payload.ToArray());
            if (!report.RootElement.TryGetProperty("discarded_events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                return 0;
            }

            long total = 0;
            foreach (var discarded in events.EnumerateArray())
            {
                if (discarded.TryGetProperty("category", out var category) && category.ValueEquals("transaction")
                    && discarded.TryGetProperty("quantity", out var quantity) && quantity.TryGetInt64(out var n))
                {
                    total += n;
                }
            }

            return total;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("A client report is not valid JSON.", ex);
        }
    }

    private static ReadOnlySpan<byte> ReadLine(ReadOnlySpan<byte> content, scoped ref int position)
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
