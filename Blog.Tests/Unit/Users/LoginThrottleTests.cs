using System.Net;
using Blog.ApiService.Users;
using Blog.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Blog.Tests.Unit.Users;

/// <summary>
/// The throttle runs on System.Threading.RateLimiting's fixed windows, which read the system clock and
/// take no TimeProvider; window expiry is therefore observed with a one-second window in real time.
/// </summary>
public sealed class LoginThrottleTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress OtherClient = IPAddress.Parse("192.0.2.11");
    private const string Account = "someone@example.test";

    private static LoginThrottle Throttle(int limit = 5, double windowSeconds = 300) =>
        new(Options.Create(new AuthOptions { LoginFailureLimit = limit, LoginFailureWindow = TimeSpan.FromSeconds(windowSeconds) }));

    private static void Fail(LoginThrottle throttle, int times, IPAddress? client = null, string account = Account)
    {
        for (var i = 0; i < times; i++)
        {
            throttle.RecordFailure(client ?? Client, account);
        }
    }

    [Fact]
    public void Attempts_are_allowed_until_the_limit_of_failures_is_reached()
    {
        using var throttle = Throttle(limit: 5);

        Fail(throttle, 4);
        Assert.Null(throttle.CheckAllowed(Client, Account));

        Fail(throttle, 1);
        Assert.NotNull(throttle.CheckAllowed(Client, Account));
    }

    [Fact]
    public void A_blocked_client_is_told_to_wait_at_most_the_window()
    {
        using var throttle = Throttle(limit: 3, windowSeconds: 300);
        Fail(throttle, 3);

        var retryAfter = throttle.CheckAllowed(Client, Account);

        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(300));
    }

    [Fact]
    public void Checking_does_not_spend_an_attempt()
    {
        using var throttle = Throttle(limit: 2);

        for (var i = 0; i < 50; i++)
        {
            Assert.Null(throttle.CheckAllowed(Client, Account));
        }

        Fail(throttle, 1);
        Assert.Null(throttle.CheckAllowed(Client, Account));
    }

    [Fact]
    public void Failures_for_one_account_do_not_block_another_account_from_the_same_client()
    {
        using var throttle = Throttle(limit: 3);
        Fail(throttle, 3);

        Assert.NotNull(throttle.CheckAllowed(Client, Account));
        Assert.Null(throttle.CheckAllowed(Client, "other@example.test"));
    }

    [Fact]
    public void Failures_from_one_client_do_not_block_the_same_account_from_another_client()
    {
        using var throttle = Throttle(limit: 3);
        Fail(throttle, 3);

        Assert.NotNull(throttle.CheckAllowed(Client, Account));
        Assert.Null(throttle.CheckAllowed(OtherClient, Account));
    }

    [Fact]
    public void Clients_without_a_known_address_share_one_allowance_per_account()
    {
        using var throttle = Throttle(limit: 2);
        throttle.RecordFailure(null, Account);
        throttle.RecordFailure(null, Account);

        Assert.NotNull(throttle.CheckAllowed(null, Account));
        Assert.Null(throttle.CheckAllowed(Client, Account));
    }

    [Fact]
    public async Task A_blocked_client_may_try_again_once_the_window_has_passed()
    {
        using var throttle = Throttle(limit: 2, windowSeconds: 1);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Fail(throttle, 2);
        Assert.NotNull(throttle.CheckAllowed(Client, Account));

        await WaitFor.ConditionAsync(() => Task.FromResult(throttle.CheckAllowed(Client, Account) is null),
            TimeSpan.FromSeconds(5), "the one-second window to pass");
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(900), $"unblocked after {started.Elapsed}, before the window ended");

        // A fresh window has the full allowance again.
        Fail(throttle, 1);
        Assert.Null(throttle.CheckAllowed(Client, Account));
    }
}
