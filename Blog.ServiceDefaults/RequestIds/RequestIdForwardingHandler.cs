using Microsoft.AspNetCore.Http;

namespace Blog.ServiceDefaults.RequestIds;

/// <summary>
/// Sends the current request's id on outgoing calls, so one user action carries one id across
/// services (the web frontend's calls to the API reuse the id the browser request was given).
/// </summary>
public sealed class RequestIdForwardingHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext?.TraceIdentifier is { Length: > 0 } requestId && !request.Headers.Contains(RequestIdMiddleware.HeaderName))
        {
            request.Headers.TryAddWithoutValidation(RequestIdMiddleware.HeaderName, requestId);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
