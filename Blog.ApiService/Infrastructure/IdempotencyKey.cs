using System.Text.RegularExpressions;

namespace Blog.ApiService.Infrastructure;

/// <summary>
/// The <c>Idempotency-Key</c> request header (IETF draft-ietf-httpapi-idempotency-key-header) on the endpoints
/// that create something. A client that got no answer to a create (a timeout, a 503, a replica that died)
/// retries with the same key and gets the first write back instead of making a second one; the database's
/// unique index on (author, key) decides, so it holds across replicas and restarts.
/// </summary>
public static partial class IdempotencyKey
{
    public const string HeaderName = "Idempotency-Key";
    public const int MaxLength = 64;

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex Usable();

    /// <summary>Field errors for a key that cannot be used (too long, odd characters); null for a good key or none.</summary>
    public static Dictionary<string, string[]>? Validate(string? key) =>
        key is null || Usable().IsMatch(key)
            ? null
            : new Dictionary<string, string[]>
            {
                [HeaderName] = [$"Use 1 to {MaxLength} letters, digits or . _ : - (a UUID fits)."],
            };
}
