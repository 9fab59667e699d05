using System.Text.Json;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Observability;

/// <summary>The API's stdout as parsed JSON log lines.</summary>
public static class LogLines
{
    /// <summary>Lines written since <paramref name="skip"/> lines had been seen, each parsed (or failing the test).</summary>
    public static IReadOnlyList<JsonElement> ParseAll(IEnumerable<string> output, int skip = 0) =>
        output.Skip(skip).Select(BlogAppFixture.ProcessText).Where(l => l.Length > 0).Select(Parse).ToList();

    public static JsonElement Parse(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"Not a JSON log line: {line}\n{ex.Message}");
        }
    }

    public static string? Get(this JsonElement line, string key) =>
        line.TryGetProperty(key, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;
}
