using System.IO.Compression;

namespace Blog.Bench.Receiver;

internal static class RequestBodies
{
    /// <summary>
    /// The body as sent and, decoded per <c>Content-Encoding</c> (exporters and the Sentry SDK may
    /// compress), as the sender meant it.
    /// </summary>
    public static async Task<(long WireBytes, byte[] Content)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        using var wire = new MemoryStream();
        await request.Body.CopyToAsync(wire, ct);
        var wireBytes = wire.Length;
        wire.Position = 0;
        Stream? decoder = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant() switch
        {
            "" or "identity" => null,
            "gzip" => new GZipStream(wire, CompressionMode.Decompress, leaveOpen: true),
            "deflate" => new ZLibStream(wire, CompressionMode.Decompress, leaveOpen: true),
            "br" => new BrotliStream(wire, CompressionMode.Decompress, leaveOpen: true),
            var other => throw new BadHttpRequestException($"Unsupported Content-Encoding '{other}'.", StatusCodes.Status415UnsupportedMediaType),
        };
        if (decoder is null)
        {
            return (wireBytes, wire.ToArray());
        }

        await using (decoder)
        {
            using var content = new MemoryStream();
            await decoder.CopyToAsync(content, ct);
            return (wireBytes, content.ToArray());
        }
    }
}
