using System.Collections;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.RequestIds;

/// <summary>
/// Gives every request one id: the caller's <c>X-Request-Id</c> when it is safe to repeat, a new one
/// otherwise. The id becomes <see cref="HttpContext.TraceIdentifier"/> (so problem details carry it),
/// is bound to every log line of the request, tags the server span and Sentry's events, and is
/// returned in the response header. An unsafe inbound value is never echoed or logged.
/// </summary>
public sealed partial class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string HeaderName = "X-Request-Id";
    public const string TagName = "request_id";

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex SafeId();

    public async Task InvokeAsync(HttpContext context)
    {
        var inbound = context.Request.Headers[HeaderName];
        var requestId = inbound.Count == 1 && SafeId().IsMatch(inbound[0]!) ? inbound[0]! : NewId();
        context.TraceIdentifier = requestId;
        Activity.Current?.SetTag(TagName, requestId);
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            http.Response.Headers[HeaderName] = http.TraceIdentifier;
            return Task.CompletedTask;
        }, context);

        using (logger.BeginScope(new RequestScope(requestId, context.Request.Method, context.Request.Path.Value ?? "/")))
        {
            await next(context);
        }
    }

    /// <summary>
    /// 32 random hex digits. Request ids name requests, they guard nothing, so a fast generator will do: a new
    /// Guid per request was a visible share of the request's cost (docs/performance.md).
    /// </summary>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The request's fields as a scope the JSON formatter and OpenTelemetry both read as key/value pairs.</summary>
    private sealed class RequestScope(string requestId, string method, string path) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new(TagName, requestId),
            1 => new("method", method),
            2 => new("path", path),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"request_id:{requestId} {method} {path}";
    }
}
