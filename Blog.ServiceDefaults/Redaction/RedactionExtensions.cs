using System.Security.Cryptography;
using System.Text;
using Blog.ServiceDefaults.Redaction;
using Microsoft.Extensions.Compliance.Classification;
using Microsoft.Extensions.Compliance.Redaction;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

public static class RedactionExtensions
{
    /// <summary>
    /// Redacts classified log parameters (<see cref="PersonalDataAttribute"/>, <see cref="SecretDataAttribute"/>)
    /// in every log sink, the console and OTLP alike. Personal data is hashed with the key in
    /// <c>Redaction:HmacKey</c> (any secret string; the AppHost supplies the generated secret parameter
    /// <c>redaction-hmac-key</c>) so that hashes correlate across replicas and restarts; without a key it is
    /// erased. Secrets and anything unclassified but marked are always erased.
    /// </summary>
    public static TBuilder AddBlogRedaction<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var hmacKey = builder.Configuration["Redaction:HmacKey"];
        var hmacKeyId = builder.Configuration.GetValue("Redaction:HmacKeyId", 1);
        builder.Logging.EnableRedaction();
        builder.Services.AddRedaction(redaction =>
        {
            redaction.SetRedactor<ErasingRedactor>(new DataClassificationSet(BlogData.Secret));
            if (!string.IsNullOrEmpty(hmacKey))
            {
#pragma warning disable EXTEXP0002 // The HMAC redactor is marked experimental; its output format is the only part that may change.
                redaction.SetHmacRedactor(options =>
                {
                    // Any secret string will do: hashing it gives the redactor the base64 key it requires.
                    options.Key = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(hmacKey)));
                    options.KeyId = hmacKeyId;
                }, new DataClassificationSet(BlogData.Personal));
#pragma warning restore EXTEXP0002
            }

            redaction.SetFallbackRedactor<ErasingRedactor>();
        });
        return builder;
    }
}
