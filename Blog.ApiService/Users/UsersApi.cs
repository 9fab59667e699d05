using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Blog.ApiService.Data;
using Blog.ApiService.Infrastructure;
using Blog.ApiService.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Blog.ApiService.Users;

public static class UsersApi
{
    public const int MinimumPasswordLength = 12;

    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").WithTags("Users").RequireRateLimiting(WriteRateLimits.Registrations);
        users.MapPost("/", Register);
        users.MapGet("/me", Me).RequireAuthorization();

        var auth = app.MapGroup("/api/auth").WithTags("Users");
        auth.MapPost("/login", Login);
        return app;
    }

    public static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request, BlogDbContext db, IPasswordHasher<User> hasher, TimeProvider clock,
        UsersLog log, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var email = request.Email?.Trim() ?? "";
        if (!EmailAddress.IsValid(email))
        {
            errors["email"] = ["Enter a valid email address."];
        }

        if ((request.Password?.Length ?? 0) < MinimumPasswordLength)
        {
            errors["password"] = [$"The password must be at least {MinimumPasswordLength} characters."];
        }

        var displayName = request.DisplayName?.Trim() ?? "";
        if (displayName.Length is 0 or > User.DisplayNameMaxLength)
        {
            errors["displayName"] = [$"The display name must be 1 to {User.DisplayNameMaxLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var user = new User
        {
            Email = email,
            NormalizedEmail = User.Normalize(email),
            DisplayName = displayName,
            PasswordHash = "",
            CreatedAt = clock.GetUtcNow(),
        };
        user.PasswordHash = hasher.HashPassword(user, request.Password!);

        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            log.RegistrationConflict();
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                title: "Email already registered", detail: "An account with this email already exists.");
        }

        log.Registered(user.Id);
        return TypedResults.Created($"/api/users/{user.Id}", new UserResponse(user.Id, user.DisplayName));
    }

    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Login(
        LoginRequest request, HttpContext http, BlogDbContext db, IPasswordHasher<User> hasher, TokenService tokens,
        LoginThrottle throttle, UsersLog log, CancellationToken ct)
    {
        var normalized = User.Normalize(request.Email ?? "");
        var client = http.Connection.RemoteIpAddress;
        if (throttle.CheckAllowed(client, normalized) is { } retryAfter)
        {
            log.LoginThrottled(normalized);
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many failed logins", detail: "Wait before trying again.");
        }

        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, ct);
        // Hash even for an unknown account, so response time does not tell which emails are registered.
        var hash = user?.PasswordHash ?? UnknownAccountHash.Get(hasher);
        var passwordMatches = hasher.VerifyHashedPassword(user!, hash, request.Password ?? "") != PasswordVerificationResult.Failed;
        var verified = user is not null && passwordMatches;
        if (!verified)
        {
            throttle.RecordFailure(client, normalized);
            log.LoginFailed(user is null ? "unknown_account" : "wrong_password", normalized);
            // One answer for an unknown email and a wrong password: the API must not reveal who has an account.
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized,
                title: "Invalid credentials", detail: "The email or password is incorrect.");
        }

        log.LoggedIn(user!.Id);
        return TypedResults.Ok(tokens.Issue(user.Id, user.DisplayName));
    }

    public static async Task<Results<Ok<UserResponse>, NotFound>> Me(ClaimsPrincipal principal, BlogDbContext db, CancellationToken ct)
    {
        var id = principal.UserId();
        var user = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new UserResponse(u.Id, u.DisplayName)).SingleOrDefaultAsync(ct);
        return user is null ? TypedResults.NotFound() : TypedResults.Ok(user);
    }

    private static class UnknownAccountHash
    {
        private static string? _hash;

        public static string Get(IPasswordHasher<User> hasher) =>
            _hash ??= hasher.HashPassword(null!, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
    }

    private static class EmailAddress
    {
        private static readonly EmailAddressAttribute Attribute = new();

        public static bool IsValid(string email) =>
            email.Length <= User.EmailMaxLength
            && Attribute.IsValid(email)
            && System.Net.Mail.MailAddress.TryCreate(email, out var parsed)
            && parsed.Address == email
            && parsed.Host.Contains('.');
    }
}

public sealed record RegisterRequest(string? Email, string? DisplayName, string? Password);

public sealed record LoginRequest(string? Email, string? Password);

public sealed record UserResponse(long Id, string DisplayName);
