namespace Blog.Tests.Infrastructure;

public static class WaitFor
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task ConditionAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
