using Microsoft.Extensions.Compliance.Classification;

namespace Blog.ServiceDefaults.Redaction;

/// <summary>
/// Blog's data classes. A log parameter, or any other telemetry field, carrying one of these is
/// redacted before it is written: personal data becomes a keyed hash (same input, same hash, so an
/// operator can still see "one account, 500 failed logins" without learning the email), secrets are erased.
/// </summary>
public static class BlogData
{
    public const string TaxonomyName = "Blog";

    /// <summary>Identifies a person: email addresses, display names.</summary>
    public static DataClassification Personal { get; } = new(TaxonomyName, nameof(Personal));

    /// <summary>Grants access: passwords, tokens, keys, cookies.</summary>
    public static DataClassification Secret { get; } = new(TaxonomyName, nameof(Secret));
}

/// <summary>Marks a value that identifies a person; logged only as a keyed hash.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field)]
public sealed class PersonalDataAttribute() : DataClassificationAttribute(BlogData.Personal);

/// <summary>Marks a value that grants access; never logged in any form.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SecretDataAttribute() : DataClassificationAttribute(BlogData.Secret);
