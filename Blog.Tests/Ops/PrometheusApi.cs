using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Blog.Tests.Ops;

/// <summary>The few calls of Prometheus's HTTP API the ops tests make.</summary>
public sealed class PrometheusApi(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };

    public sealed record Sample(IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>An instant query; a query Prometheus rejects throws with its error text.</summary>
    public async Task<IReadOnlyList<Sample>> QueryAsync(string promql)
    {
        using var response = await _client.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(promql)}");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus rejected '{promql}': {root.GetProperty("error").GetString()}");
        }

        var data = root.GetProperty("data");
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            return [new Sample(new Dictionary<string, string>(), ParseValue(data.GetProperty("result")))];
        }

        return data.GetProperty("result").EnumerateArray()
            .Select(series => new Sample(
                series.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
                ParseValue(series.GetProperty("value"))))
            .ToList();
    }

    /// <summary>The <c>data</c> element of a GET on the API, e.g. <c>/api/v1/targets</c>.</summary>
    public async Task<JsonElement> GetDataAsync(string path)
    {
        var root = await _client.GetFromJsonAsync<JsonElement>(path);
        return root.GetProperty("data");
    }

    /// <summary>Whether Prometheus answers at all: false while it starts.</summary>
    public async Task<bool> IsReadyAsync()
    {
        try
        {
            using var response = await _client.GetAsync("/-/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static double ParseValue(JsonElement pair) =>
        double.Parse(pair[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);

    public void Dispose() => _client.Dispose();
}
