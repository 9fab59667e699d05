using Blog.ServiceDefaults.Redaction;

namespace Blog.ApiService.Users;

/// <summary>
/// User events: ids, never the password or token. Failed logins carry the attempted email classified as
/// personal data, so it reaches the logs only as a keyed hash: enough to see one account under attack.
/// </summary>
public sealed partial class UsersLog(ILogger<UsersLog> logger)
{
    [LoggerMessage(EventId = 2000, EventName = "user.registered", Level = LogLevel.Information,
        Message = "User {user_id} registered")]
    public partial void Registered(long user_id);

    [LoggerMessage(EventId = 2001, EventName = "user.logged_in", Level = LogLevel.Information,
        Message = "User {user_id} logged in")]
    public partial void LoggedIn(long user_id);

    [LoggerMessage(EventId = 2002, EventName = "user.login_failed", Level = LogLevel.Warning,
        Message = "Login failed ({reason})")]
    public partial void LoginFailed(string reason, [PersonalData] string email);

    [LoggerMessage(EventId = 2003, EventName = "user.login_throttled", Level = LogLevel.Warning,
        Message = "Login refused: too many failures from this client for one account")]
    public partial void LoginThrottled([PersonalData] string email);

    [LoggerMessage(EventId = 2004, EventName = "user.registration_conflict", Level = LogLevel.Information,
        Message = "Registration refused: the email is already registered")]
    public partial void RegistrationConflict();
}
