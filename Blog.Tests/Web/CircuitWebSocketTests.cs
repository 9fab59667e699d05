using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Aspire.Hosting;
using Blog.Tests.Infrastructure;

namespace Blog.Tests.Web;

/// <summary>
/// The circuit's WebSocket runs without permessage-deflate (decision 0011): each compressed connection held
/// native zlib state that the soak saw as the web frontend's memory outside the managed heap growing.
/// </summary>
[Collection(BlogAppCollection.Name)]
public sealed class CircuitWebSocketTests(BlogAppFixture fixture)
{
    [Fact]
    public async Task The_circuit_websocket_declines_compression_when_a_browser_offers_it()
    {
        var web = fixture.App.GetEndpoint("webfrontend", "http");
        using var client = fixture.CreateHttpClient("webfrontend");
        using var negotiate = await client.PostAsync("/_blazor/negotiate?negotiateVersion=1", content: null);
        negotiate.EnsureSuccessStatusCode();
        var token = (await negotiate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("connectionToken").GetString();

        using var socket = new ClientWebSocket();
        // What chromium offers on every WebSocket.
        socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(web) { Scheme = "ws", Path = "/_blazor", Query = $"id={Uri.EscapeDataString(token!)}" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None);

        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.False(socket.HttpResponseHeaders!.ContainsKey("Sec-WebSocket-Extensions"),
            $"the server accepted {string.Join(", ", socket.HttpResponseHeaders.GetValueOrDefault("Sec-WebSocket-Extensions") ?? [])}");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }
}
