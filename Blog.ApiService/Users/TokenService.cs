using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Blog.ApiService.Users;

public sealed class TokenService(IOptions<AuthOptions> options, TimeProvider clock)
{
    public TokenResponse Issue(long userId, string displayName)
    {
        var settings = options.Value;
        var expiresAt = clock.GetUtcNow().Add(settings.TokenLifetime);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Expires = expiresAt.UtcDateTime,
            Subject = new ClaimsIdentity([
                new Claim(JwtRegisteredClaimNames.Sub, userId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(JwtRegisteredClaimNames.Name, displayName),
            ]),
            SigningCredentials = new SigningCredentials(SigningKey(settings), SecurityAlgorithms.HmacSha256),
        });
        return new TokenResponse(token, "Bearer", expiresAt);
    }

    public static SymmetricSecurityKey SigningKey(AuthOptions settings) => new(settings.SigningKeyBytes);
}

public sealed record TokenResponse(string AccessToken, string TokenType, DateTimeOffset ExpiresAt);
