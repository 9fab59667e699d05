namespace Blog.ServiceDefaults.Tracing;

/// <summary>
/// Sentry's OTLP/HTTP traces endpoint and its authentication header, derived from a DSN
/// (<c>{scheme}://{public key}@{host}[/{path}]/{project}</c> gives <c>{scheme}://{host}[/{path}]/api/{project}/integration/otlp/v1/traces</c>
/// with <c>x-sentry-auth: sentry sentry_key={public key}</c>), as Sentry's project settings list them under
/// "Client Keys (DSN)". The public key is not a secret: it is the one browsers send with every event.
/// </summary>
public sealed record SentryOtlpTarget(Uri Endpoint, string PublicKey)
{
    /// <summary>The header in <c>OtlpExporterOptions.Headers</c> form (<c>name=value</c>).</summary>
    public string Headers => $"x-sentry-auth=sentry sentry_key={PublicKey}";

    /// <summary>The endpoint for <paramref name="dsn"/>, or null when there is no usable DSN (Sentry is off).</summary>
    public static SentryOtlpTarget? FromDsn(string? dsn)
    {
        if (!Uri.TryCreate(dsn, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/');
        var project = segments[^1];
        if (project.Length == 0)
        {
            return null;
        }

        var prefix = string.Concat(segments[..^1].Select(segment => segment + "/"));
        var publicKey = uri.UserInfo.Split(':')[0];
        var endpoint = new UriBuilder(uri.Scheme, uri.Host, uri.Port, $"/{prefix}api/{project}/integration/otlp/v1/traces").Uri;
        return new SentryOtlpTarget(endpoint, publicKey);
    }
}
