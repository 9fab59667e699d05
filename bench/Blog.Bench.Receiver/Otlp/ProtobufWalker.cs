namespace Blog.Bench.Receiver.Otlp;

/// <summary>
/// Counts occurrences of a nested message field in protobuf wire format without generated classes:
/// only varints and length-delimited fields need reading, everything else is skipped by wire type.
/// </summary>
public static class ProtobufWalker
{
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    /// <summary>How many fields sit at <paramref name="path"/> (field numbers, outermost first).</summary>
    public static long CountAt(ReadOnlySpan<byte> message, ReadOnlySpan<int> path)
    {
        long count = 0;
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var field = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case Varint:
                    ReadVarint(message, ref position);
                    break;
                case Fixed64:
                    position = Advance(message, position, 8);
                    break;
                case Fixed32:
                    position = Advance(message, position, 4);
                    break;
                case LengthDelimited:
                    var length = ReadVarint(message, ref position);
                    if (length > (ulong)(message.Length - position))
                    {
                        throw new InvalidDataException("A length-delimited field runs past the end of its message.");
                    }

                    if (field == path[0])
                    {
                        var inner = message.Slice(position, (int)length);
                        count += path.Length == 1 ? 1 : CountAt(inner, path[1..]);
                    }

                    position += (int)length;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported wire type {wireType}.");
            }
        }

        return count;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= message.Length)
            {
                throw new InvalidDataException("A varint runs past the end of its message.");
            }

            var b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("A varint is longer than 10 bytes.");
    }

    private static int Advance(ReadOnlySpan<byte> message, int position, int bytes) =>
        position + bytes <= message.Length ? position + bytes : throw new InvalidDataException("A fixed-width field runs past the end of its message.");
}
