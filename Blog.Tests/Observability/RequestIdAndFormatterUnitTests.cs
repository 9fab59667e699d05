using System.Buffers;
using System.Text;
using System.Text.Json;
using Blog.ServiceDefaults.Logging;
using Blog.ServiceDefaults.RequestIds;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Blog.Tests.Observability;

public sealed class RequestIdAndFormatterUnitTests
{
    [Theory]
    [InlineData("abc\r\ndef")]
    [InlineData("abc\ndef")]
    [InlineData("")]
    [InlineData("ünïcödé")]
    public async Task The_middleware_replaces_an_id_with_control_or_non_ascii_characters(string inbound)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Request-Id"] = inbound;
        var seen = "";
        var middleware = new RequestIdMiddleware(http => { seen = http.TraceIdentifier; return Task.CompletedTask; }, NullLogger<RequestIdMiddleware>.Instance);

        await middleware.InvokeAsync(context);

        Assert.NotEqual(inbound, seen);
        Assert.Matches("^[a-f0-9]{32}$", seen);
    }

    [Fact]
    public async Task The_middleware_keeps_a_safe_id()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Request-Id"] = "web:req-1.2_3";
        var seen = "";
        var middleware = new RequestIdMiddleware(http => { seen = http.TraceIdentifier; return Task.CompletedTask; }, NullLogger<RequestIdMiddleware>.Instance);

        await middleware.InvokeAsync(context);

        Assert.Equal("web:req-1.2_3", seen);
    }

    public static TheoryData<string> NastyValues => new()
    {
        "line one\nline two\r\nline three",
        "\"quoted\" \\ backslash \t tab \u0000 nul \u001b[31m ansi",
        "emoji 🙂 and ünïcödé and \ud800 lone surrogate",
        new string('x', 100_000),
    };

    [Theory]
    [MemberData(nameof(NastyValues))]
    public void Any_input_is_written_as_one_line_of_valid_json(string value)
    {
        var output = new ArrayBufferWriter<byte>();
        var state = new List<KeyValuePair<string, object?>>
        {
            new("PostId", 42L),
            new("title", value),
            new("{OriginalFormat}", "Post {PostId}: {title}"),
        };
        JsonLogFormatter.Write(output, "Blog.Test", LogLevel.Error, new EventId(1, "post.created"), state,
            new InvalidOperationException(value), (_, _) => "Post 42: " + value, null);

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.EndsWith("\n", text);
        Assert.DoesNotContain('\n', text.TrimEnd('\n'));
        var json = JsonDocument.Parse(text).RootElement;
        Assert.Equal("error", json.GetProperty("level").GetString());
        Assert.Equal("post.created", json.GetProperty("event").GetString());
        Assert.Equal(42, json.GetProperty("post_id").GetInt64());
        Assert.Equal("System.InvalidOperationException", json.GetProperty("exception").GetProperty("type").GetString());
    }
}
