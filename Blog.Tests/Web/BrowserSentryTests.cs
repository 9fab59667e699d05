using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Blog.Tests.Web;

/// <summary>Browser-side Sentry, bundled and served by the web frontend, reporting to a local envelope receiver.</summary>
[Collection(BlogAppCollection.Name)]
public sealed class BrowserSentryTests(BlogAppFixture fixture)
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

        await WaitFor.ConditionAsync(() => Task.FromResult(browserEnvelopes().Any(e => e.Contains("\"type\":\"replay_recording\""))),
            TimeSpan.FromSeconds(30), "the replay recorded around the error");
        var recordings = browserEnvelopes()
            .SelectMany(e => EnvelopeItems(e.Body))
            .Where(item => item.Type == "replay_recording")
            .Select(item => RecordingText(item.Payload))
            .ToList();
        Assert.NotEmpty(recordings);
        // The recording did capture the page (its structure and masked text), just none of the words.
        Assert.Contains(recordings, r => r.Length > 1000);
        Assert.All(recordings, r => Assert.DoesNotContain("Quokka", r, StringComparison.OrdinalIgnoreCase));
        Assert.All(recordings, r => Assert.DoesNotContain("marmalade", r, StringComparison.OrdinalIgnoreCase));
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

    /// <summary>A replay recording payload: a JSON header line, then the rrweb events, zlib-compressed or plain.</summary>
    private static string RecordingText(byte[] payload)
    {
        var newline = Array.IndexOf(payload, (byte)'\n');
        var body = payload.AsSpan(newline + 1).ToArray();
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(body), CompressionMode.Decompress);
            using var reader = new StreamReader(zlib, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (InvalidDataException)
        {
            return Encoding.UTF8.GetString(body);
        }
    }
}
