namespace Blog.ApiService.Users;

/// <summary>User events: ids only, never the email, password or token.</summary>
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
    public partial void LoginFailed(string reason);

    [LoggerMessage(EventId = 2003, EventName = "user.login_throttled", Level = LogLevel.Warning,
        Message = "Login refused: too many failures from this client for one account")]
    public partial void LoginThrottled();

    [LoggerMessage(EventId = 2004, EventName = "user.registration_conflict", Level = LogLevel.Information,
        Message = "Registration refused: the email is already registered")]
    public partial void RegistrationConflict();
}
