using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Blog.ApiService.RateLimiting;

/// <summary>
/// Which peers may tell the API the client's address in <c>X-Forwarded-For</c>, bound from <c>ForwardedHeaders</c>.
/// Per-address limits and the login throttle key on that address, so trusting a peer that is not a proxy of
/// ours would let any client pick a fresh address for every request.
/// </summary>
public sealed class ClientAddressOptions
{
    public const string SectionName = "ForwardedHeaders";

    /// <summary>Addresses of proxies in front of the API (a reverse proxy, the web frontend), e.g. <c>10.0.0.7</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks whose every address is a proxy of ours, in CIDR notation, e.g. <c>10.0.0.0/16</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];

    public bool AnyConfigured => KnownProxies.Length > 0 || KnownNetworks.Length > 0;
}

public static class ClientAddresses
{
    // ASPNETCORE_FORWARDEDHEADERS_ENABLED=true (what Aspire sets in deployment) becomes this key. The framework
    // then adds the forwarded-headers middleware itself and trusts every peer for one hop.
    private const string FrameworkSwitch = "FORWARDEDHEADERS_ENABLED";

    public static IServiceCollection AddClientAddresses(this IServiceCollection services)
    {
        services.AddOptions<ClientAddressOptions>().BindConfiguration(ClientAddressOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClientAddressOptions>, ClientAddressOptionsValidator>();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ClientAddressOptions>>((forwarded, configured) =>
        {
            var known = configured.Value;
            if (!known.AnyConfigured)
            {
                return;
            }

            // Exactly the configured proxies (not the framework's loopback defaults), and every hop they vouch
            // for: a reverse proxy in front of the web frontend in front of the API is two hops.
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = null;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in known.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in known.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }

    /// <summary>Reads <c>X-Forwarded-For</c> from the configured proxies only; without any, the peer is the client.</summary>
    public static WebApplication UseClientAddresses(this WebApplication app)
    {
        var known = app.Services.GetRequiredService<IOptions<ClientAddressOptions>>().Value;
        var frameworkAddsIt = string.Equals(app.Configuration[FrameworkSwitch], "true", StringComparison.OrdinalIgnoreCase);
        if (known.AnyConfigured && !frameworkAddsIt)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    private sealed class ClientAddressOptionsValidator : IValidateOptions<ClientAddressOptions>
    {
        public ValidateOptionsResult Validate(string? name, ClientAddressOptions options)
        {
            var bad = options.KnownProxies.Where(p => !IPAddress.TryParse(p, out _))
                .Concat(options.KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
                .ToList();
            return bad.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(
                    $"ForwardedHeaders:KnownProxies must be IP addresses and ForwardedHeaders:KnownNetworks CIDR networks; not valid: {string.Join(", ", bad)}.");
        }
    }
}
