using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.Extensions.Options;

namespace Blog.ApiService.Users;

/// <summary>Bearer-token settings, bound from <c>Auth</c> and validated on start.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";
    public const int MinimumSigningKeyBytes = 32;

    /// <summary>HMAC-SHA256 key for access tokens; the AppHost supplies it as the secret parameter <c>jwt-signing-key</c>.</summary>
    public string? SigningKey { get; set; }

    [Required]
    public string Issuer { get; set; } = "blog-api";

    [Required]
    public string Audience { get; set; } = "blog";

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Failed logins allowed per client and account within <see cref="LoginFailureWindow"/> before 429.</summary>
    [Range(1, 1000)]
    public int LoginFailureLimit { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LoginFailureWindow { get; set; } = TimeSpan.FromMinutes(5);

    public byte[] SigningKeyBytes => Encoding.UTF8.GetBytes(SigningKey ?? "");
}

/// <summary>
/// Outside Development a missing or short signing key stops the API at start with a clear message;
/// in Development a random per-process key keeps the inner loop working (tokens die with the process).
/// </summary>
internal sealed class AuthOptionsSetup(IHostEnvironment environment) : IPostConfigureOptions<AuthOptions>, IValidateOptions<AuthOptions>
{
    public void PostConfigure(string? name, AuthOptions options)
    {
        if (string.IsNullOrEmpty(options.SigningKey) && environment.IsDevelopment())
        {
            options.SigningKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        }
    }

    public ValidateOptionsResult Validate(string? name, AuthOptions options) =>
        options.SigningKeyBytes.Length >= AuthOptions.MinimumSigningKeyBytes
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Auth:SigningKey must be set to at least {AuthOptions.MinimumSigningKeyBytes} bytes " +
                "(the AppHost supplies it as the secret parameter 'jwt-signing-key'; elsewhere set Auth__SigningKey).");
}
