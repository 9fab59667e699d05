using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Blog.ServiceDefaults.Metrics;

/// <summary>
/// Names a request by its matched route template (<c>/api/posts/{id}</c>), never its raw path, so metric
/// series, log lines and Sentry's route tag stay bounded whatever URLs clients invent.
/// </summary>
public static partial class EndpointLabel
{
    /// <summary>The one value for requests that match no route.</summary>
    public const string Unmatched = "unmatched";

    private static readonly ConcurrentDictionary<string, string> Labels = new(StringComparer.Ordinal);

    public static string For(HttpContext context)
    {
        // After an unhandled exception the error handler clears the endpoint; its feature keeps the original one.
        var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        return endpoint is RouteEndpoint { RoutePattern.RawText: { } template } ? FromTemplate(template) : Unmatched;
    }

    /// <summary>
    /// <c>{id:long}</c>, <c>{page=1}</c>, <c>{slug?}</c> and <c>{**rest}</c> become <c>{id}</c>, <c>{page}</c>,
    /// <c>{slug}</c>, <c>{rest}</c>; the label starts with a slash and has none at the end.
    /// </summary>
    public static string FromTemplate(string template) =>
        // Templates are few (one per route), so each is normalised once rather than on every request.
        Labels.GetOrAdd(template, static raw =>
        {
            var label = ConstraintOrDefault().Replace(raw, "{$1}");
            if (!label.StartsWith('/'))
            {
                label = "/" + label;
            }

            return label.Length > 1 ? label.TrimEnd('/') : label;
        });

    [GeneratedRegex(@"\{\*{0,2}([^}:=?]+)[^}]*\}")]
    private static partial Regex ConstraintOrDefault();
}
