using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Blog.ApiService.RateLimiting;

/// <summary>
/// Limits on writes, bound from <c>RateLimiting</c> and validated on start. The defaults sit far above what a
/// person does (a few posts and dozens of comments an hour) and far below what a script does.
/// </summary>
public sealed class RateLimitingOptions
{
    public const string SectionName = "RateLimiting";

    /// <summary>Off turns every limit off (load tests and benchmarks); the login throttle stays.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Registrations per client address.</summary>
    [ValidateObjectMembers]
    public WindowLimit Registrations { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromHours(1) };

    /// <summary>New posts per account (per client address for attempts without a valid token).</summary>
    [ValidateObjectMembers]
    public WindowLimit Posts { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromHours(1) };

    /// <summary>New comments per account (per client address for attempts without a valid token).</summary>
    [ValidateObjectMembers]
    public WindowLimit Comments { get; set; } = new() { PermitLimit = 120, Window = TimeSpan.FromHours(1) };
}

/// <summary>At most <see cref="PermitLimit"/> requests in each fixed <see cref="Window"/>.</summary>
public sealed class WindowLimit
{
    [Range(1, 1_000_000)]
    public int PermitLimit { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; }
}

[OptionsValidator]
public sealed partial class RateLimitingOptionsValidator : IValidateOptions<RateLimitingOptions>;
