using Blog.Web.Api;

namespace Blog.Web.Security;

/// <summary>
/// Tells the API which browser a call is for (<c>X-Forwarded-For</c>): the web frontend is a proxy for the
/// browser, and the API's per-address limits (registration) would otherwise count every visitor as the web
/// frontend. The API believes the header only from peers it is configured to trust (ForwardedHeaders:KnownProxies).
/// Calls from interactive pages, made outside a request, carry no address; they all act for a signed-in
/// account, which the API limits by account.
/// </summary>
public sealed class ClientAddressForwardingHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext?.Connection.RemoteIpAddress is { } client)
        {
            request.Headers.Remove("X-Forwarded-For");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", client.ToString());
        }

        return base.SendAsync(request, cancellationToken);
    }
}

public static class ClientAddressForwardingExtensions
{
    public static IServiceCollection AddClientAddressForwarding(this IServiceCollection services)
    {
        services.AddTransient<ClientAddressForwardingHandler>();
        services.AddHttpClient<BlogApiClient>().AddHttpMessageHandler<ClientAddressForwardingHandler>();
        return services;
    }
}
