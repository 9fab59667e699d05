using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Blog.Tests.Api;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Observability;

[Collection(BlogAppCollection.Name)]
public sealed partial class StructuredLogTests(BlogAppFixture fixture)
{
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex SafeId();

    private HttpClient Api() => fixture.CreateHttpClient("apiservice");

    [Fact]
    public async Task Every_api_stdout_line_of_a_scripted_flow_is_one_json_object_with_the_standard_keys()
    {
        var before = fixture.ApiOutput.Count;
        var marker = $"flow-{Guid.NewGuid():N}";
        var flowIds = new ConcurrentQueue<string>();
        HttpClient Client() => new(new RequestIdPerRequest(flowIds) { InnerHandler = new SocketsHttpHandler() })
        {
            BaseAddress = fixture.App.GetEndpoint("apiservice", "http"),
        };

        var user = await ApiUser.RegisterAsync(Client);
        var post = await user.CreatePostAsync("Logged \"quotes\"\nand a newline");
        var postId = post.GetProperty("id").GetInt64();
        await user.Client.GetAsync($"/api/posts/{postId}");
        await user.Client.GetAsync($"/api/posts/{long.MaxValue}");
        await user.Client.PostAsync("/api/posts", new StringContent("{not json", Encoding.UTF8, "application/json"));
        await user.Client.DeleteAsync($"/api/posts/{postId}");
        using var last = new HttpRequestMessage(HttpMethod.Get, "/api/posts");
        last.Headers.Add("X-Request-Id", marker);
        await user.Client.SendAsync(last);
        await fixture.WaitForApiOutputAsync(l => l.Contains(marker), "the last request's log line");

        var lines = LogLines.ParseAll(fixture.ApiOutput, before);
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            foreach (var key in new[] { "timestamp", "level", "logger", "event", "message" })
            {
                Assert.True(line.TryGetProperty(key, out _), $"'{key}' missing in {line}");
            }

            Assert.Contains(line.Get("level"), new[] { "debug", "info", "warning", "error", "critical" });
            Assert.True(DateTimeOffset.TryParse(line.Get("timestamp"), out var at) && at.Offset == TimeSpan.Zero, line.Get("timestamp"));
        });

        // Each of the flow's eight requests: one access line, and every line it caused carries the request keys.
        Assert.Equal(8, flowIds.Count);
        Assert.All(flowIds, requestId =>
        {
            var ofRequest = lines.Where(l => l.Get("request_id") == requestId).ToList();
            Assert.Single(ofRequest, l => l.Get("event") == "http.request");
            Assert.All(ofRequest, line =>
            {
                foreach (var key in new[] { "trace_id", "span_id", "method", "path" })
                {
                    Assert.True(line.TryGetProperty(key, out _), $"'{key}' missing in request line {line}");
                }
            });
        });

        var created = Assert.Single(lines, l => l.Get("event") == "post.created" && l.Get("post_id") == postId.ToString());
        Assert.Equal(user.Id.ToString(), created.Get("user_id"));
        Assert.Equal("Logged \"quotes\"\nand a newline", created.Get("title"));
        Assert.Equal("POST", created.Get("method"));
        Assert.Equal("/api/posts", created.Get("path"));
        Assert.Contains(created.Get("request_id"), flowIds);
        var deleted = Assert.Single(lines, l => l.Get("event") == "post.deleted" && l.Get("post_id") == postId.ToString());
        Assert.Contains(deleted.Get("request_id"), flowIds);
        var registered = Assert.Single(lines, l => l.Get("event") == "user.registered" && l.Get("user_id") == user.Id.ToString());
        Assert.Contains(registered.Get("request_id"), flowIds);
        var loggedIn = Assert.Single(lines, l => l.Get("event") == "user.logged_in" && l.Get("user_id") == user.Id.ToString());
        Assert.Contains(loggedIn.Get("request_id"), flowIds);
    }

    /// <summary>Gives each request its own X-Request-Id (unless it has one) and remembers every id sent.</summary>
    private sealed class RequestIdPerRequest(ConcurrentQueue<string> sent) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.Headers.TryGetValues("X-Request-Id", out var ids))
            {
                ids = [$"flow-step-{Guid.NewGuid():N}"];
                request.Headers.Add("X-Request-Id", ids);
            }

            sent.Enqueue(ids.Single());
            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task A_valid_inbound_request_id_is_kept_returned_and_on_every_log_line_of_that_request()
    {
        var requestId = $"client-{Guid.NewGuid():N}";
        using var api = Api();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = JsonContent.Create(new { email = "nobody@example.test", password = "wrong password" }),
        };
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await api.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(requestId, Assert.Single(response.Headers.GetValues("X-Request-Id")));
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(requestId, problem.GetProperty("requestId").GetString());

        var lines = (await fixture.WaitForApiOutputAsync(l => l.Contains(requestId), "log lines of the request")).Select(l => LogLines.Parse(BlogAppFixture.ProcessText(l))).ToList();
        Assert.All(lines, l => Assert.Equal(requestId, l.Get("request_id")));
        var failed = Assert.Single(lines, l => l.Get("event") == "user.login_failed");
        Assert.DoesNotContain("nobody@example.test", failed.GetRawText());
    }

    [Fact]
    public async Task The_web_frontend_forwards_its_request_id_so_one_page_view_has_one_id_in_both_services()
    {
        var requestId = $"page-view-{Guid.NewGuid():N}";
        using var web = fixture.CreateHttpClient("webfrontend");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Request-Id", requestId);
        using var response = await web.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(requestId, Assert.Single(response.Headers.GetValues("X-Request-Id")));
        // Rendering the home page called GET /api/posts; the API logged that call under the same id.
        var lines = await fixture.WaitForApiOutputAsync(l => l.Contains(requestId) && l.Contains("http.request"), "the API's line for the page view");
        var line = LogLines.Parse(BlogAppFixture.ProcessText(lines[0]));
        Assert.Equal(requestId, line.Get("request_id"));
        Assert.Equal("/api/posts", line.Get("endpoint"));
    }

    [Fact]
    public async Task A_generated_request_id_is_returned_and_matches_that_requests_log_lines()
    {
        using var api = Api();
        using var response = await api.GetAsync($"/api/posts/{long.MaxValue - 1}");
        var requestId = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.Matches(SafeId(), requestId);

        var lines = await fixture.WaitForApiOutputAsync(l => l.Contains(requestId), "log lines of the request");
        Assert.All(lines, l => Assert.Equal(requestId, LogLines.Parse(BlogAppFixture.ProcessText(l)).Get("request_id")));
    }

    public static TheoryData<string> UnsafeIds => new()
    {
        new string('a', 1024),
        "spaces are not allowed",
        "quote\"and<angle>",
    };

    [Theory]
    [MemberData(nameof(UnsafeIds))]
    public async Task An_unsafe_inbound_request_id_is_replaced_and_never_written(string unsafeId)
    {
        using var api = Api();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/posts?page=1");
        request.Headers.TryAddWithoutValidation("X-Request-Id", unsafeId);
        using var response = await api.SendAsync(request);

        var returned = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.NotEqual(unsafeId, returned);
        Assert.Matches(SafeId(), returned);
        await fixture.WaitForApiOutputAsync(l => l.Contains(returned), "a log line of the request");
        Assert.DoesNotContain(fixture.ApiOutput, l => l.Contains(unsafeId));
    }

    [Fact]
    public async Task A_non_ascii_request_id_is_never_echoed_or_written()
    {
        const string unsafeId = "ünïcödé-ид-標識";
        var endpoint = fixture.App.GetEndpoint("apiservice", "http");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port);
        await using var stream = tcp.GetStream();
        var request = $"GET /api/posts HTTP/1.1\r\nHost: {endpoint.Authority}\r\nX-Request-Id: {unsafeId}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var responseText = await reader.ReadToEndAsync();

        // Kestrel decodes the header as UTF-8; the middleware refuses it and answers with an id of its own.
        Assert.StartsWith("HTTP/1.1 200 ", responseText);
        Assert.DoesNotContain(unsafeId, responseText);
        var echoed = Assert.Single(Regex.Matches(responseText, @"(?im)^X-Request-Id: (.*)\r$"));
        Assert.Matches(SafeId(), echoed.Groups[1].Value);

        // Whatever the server made of it, nothing it wrote (up to a later request's lines) carries the raw value.
        using var api = Api();
        using var later = await api.GetAsync("/api/posts");
        var laterId = Assert.Single(later.Headers.GetValues("X-Request-Id"));
        await fixture.WaitForApiOutputAsync(l => l.Contains(laterId), "a later request's log line");
        Assert.DoesNotContain(fixture.ApiOutput, l => l.Contains(unsafeId) || l.Contains("ünïcödé"));
    }
}
