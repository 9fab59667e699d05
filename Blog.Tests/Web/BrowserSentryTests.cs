using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Blog.Tests.Web;

/// <summary>Browser-side Sentry, bundled and served by the web frontend, reporting to a local envelope receiver.</summary>
[Collection(BlogAppCollection.Name)]
public sealed partial class BrowserSentryTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task A_browser_error_sends_an_event_and_a_replay_that_masks_the_posts_text()
    {
        var secretWords = $"Quokka marmalade {Guid.NewGuid().ToString("N")[..10]}";
        var author = await ApiUser.RegisterAsync(() => fixture.CreateHttpClient("apiservice"));
        var post = await author.CreatePostAsync($"Title {secretWords}", $"The body says {secretWords} twice: {secretWords}.");

        await using var context = await fixture.Browser.NewContextAsync(fixture.App.GetEndpoint("webfrontend", "http"));
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/posts/{post.GetProperty("id").GetInt64()}");
        await Expect(page.GetByTestId("post-body")).ToContainTextAsync(secretWords);

        // Served by the app itself, not a CDN.
        var scripts = await page.Locator("script[src]").EvaluateAllAsync<string[]>("els => els.map(e => e.src)");
        Assert.Contains(scripts, src => src.Contains("/js/sentry.bundle", StringComparison.Ordinal)
            && src.StartsWith(fixture.App.GetEndpoint("webfrontend", "http").ToString(), StringComparison.Ordinal));
        await page.WaitForFunctionAsync("() => window.__SENTRY__ !== undefined");

        var marker = $"Forced browser error {Guid.NewGuid():N}";
        await page.EvaluateAsync($"() => setTimeout(() => {{ throw new Error('{marker}'); }}, 0)");

        var browserEnvelopes = () => fixture.Telemetry.SentryEnvelopes.Where(e => e.Contains("sentry.javascript.browser")).ToList();
        await WaitFor.ConditionAsync(() => Task.FromResult(browserEnvelopes().Any(e => e.Contains(marker))),
            TimeSpan.FromSeconds(30), "the browser error event");
        var errorEvent = Assert.Single(browserEnvelopes(), e => e.Contains(marker));
        Assert.Contains("\"environment\":\"development\"", errorEvent.Text);

        // The recording holds the page's text with every character masked (a text node of asterisks, as long as a
        // sentence), and none of the post's words. Segments arrive one after another, so wait for a masked one;
        // with masking off no such node exists and the words would be there instead.
        List<List<string>> recordings = [];
        await WaitFor.ConditionAsync(() =>
        {
            recordings = browserEnvelopes()
                .SelectMany(e => EnvelopeItems(e.Body))
                .Where(item => item.Type == "replay_recording")
                .Select(item => RecordingStrings(item.Payload))
                .ToList();
            return Task.FromResult(recordings.Any(r => r.Any(text => MaskedSentence().IsMatch(text))));
        }, TimeSpan.FromSeconds(30), "a replay recording with a masked text node");
        Assert.All(recordings, r => Assert.DoesNotContain(r, s => s.Contains("Quokka", StringComparison.OrdinalIgnoreCase)));
        Assert.All(recordings, r => Assert.DoesNotContain(r, s => s.Contains("marmalade", StringComparison.OrdinalIgnoreCase)));
        Assert.All(browserEnvelopes(), e => Assert.DoesNotContain(secretWords, e.Text));
        Assert.All(browserEnvelopes(), e => Assert.DoesNotContain(author.Email, e.Text));
    }

    /// <summary>Splits a Sentry envelope: a header line, then items of (header line with length, payload).</summary>
    private static List<(string Type, byte[] Payload)> EnvelopeItems(byte[] envelope)
    {
        var items = new List<(string, byte[])>();
        var position = Array.IndexOf(envelope, (byte)'\n') + 1;
        while (position > 0 && position < envelope.Length)
        {
            var end = Array.IndexOf(envelope, (byte)'\n', position);
            if (end < 0)
            {
                break;
            }

            using var header = JsonDocument.Parse(envelope.AsMemory(position, end - position));
            var type = header.RootElement.GetProperty("type").GetString()!;
            position = end + 1;
            int length;
            if (header.RootElement.TryGetProperty("length", out var declared))
            {
                length = declared.GetInt32();
            }
            else
            {
                var next = Array.IndexOf(envelope, (byte)'\n', position);
                length = (next < 0 ? envelope.Length : next) - position;
            }

            items.Add((type, envelope.AsSpan(position, length).ToArray()));
            position += length + 1;
        }

        return items;
    }

    /// <summary>A text node masked by the replay: only asterisks and spaces, at least three words long.</summary>
    [GeneratedRegex(@"^\s*\*+( \*+){2,}\s*$")]
    private static partial Regex MaskedSentence();

    /// <summary>
    /// Every string in a replay recording: a JSON header line, then the rrweb events as a JSON array,
    /// compressed (zlib, as the SDK's compression worker sends it, or gzip) or plain when the SDK could not
    /// compress. A payload that is none of these fails the test: the assertions must read the real events.
    /// </summary>
    private static List<string> RecordingStrings(byte[] payload)
    {
        var newline = Array.IndexOf(payload, (byte)'\n');
        Assert.True(newline > 0, "a replay recording starts with a JSON header line");
        var body = payload.AsSpan(newline + 1).ToArray();
        var events = JsonDocument.Parse(Decode(body)).RootElement;
        Assert.Equal(JsonValueKind.Array, events.ValueKind);
        Assert.NotEqual(0, events.GetArrayLength());
        var strings = new List<string>();
        CollectStrings(events, strings);
        return strings;
    }

    private static byte[] Decode(byte[] body)
    {
        Stream? decompressor = body switch
        {
            [0x1f, 0x8b, ..] => new GZipStream(new MemoryStream(body), CompressionMode.Decompress),
            // zlib: deflate (CM 8) with a header whose check bits make it a multiple of 31.
            [var cmf, var flg, ..] when (cmf & 0x0f) == 8 && (cmf << 8 | flg) % 31 == 0 =>
                new ZLibStream(new MemoryStream(body), CompressionMode.Decompress),
            [(byte)'[', ..] => null,
            _ => throw new Xunit.Sdk.XunitException(
                $"the replay recording is neither zlib, gzip nor JSON: starts with {Convert.ToHexString(body.AsSpan(0, Math.Min(8, body.Length)))}"),
        };
        if (decompressor is null)
        {
            return body;
        }

        using (decompressor)
        {
            using var plain = new MemoryStream();
            decompressor.CopyTo(plain);
            return plain.ToArray();
        }
    }

    private static void CollectStrings(JsonElement element, List<string> strings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                strings.Add(element.GetString()!);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectStrings(item, strings);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    CollectStrings(property.Value, strings);
                }

                break;
        }
    }
}
