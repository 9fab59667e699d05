using System.Globalization;
using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Blog.ApiService.Users;

public static class ClaimsPrincipalExtensions
{
    /// <summary>The signed-in user's id; endpoints that call this require authorization, so the claim is there.</summary>
    public static long UserId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(JwtRegisteredClaimNames.Sub) ?? user.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("The principal has no subject claim."), CultureInfo.InvariantCulture);
}
