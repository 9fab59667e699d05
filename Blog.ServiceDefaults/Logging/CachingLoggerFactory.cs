using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// Hands out the logger of a category without taking the factory's lock. ASP.NET Core's typed results
/// (<c>TypedResults.Ok</c> and the rest) ask the factory for a logger on every response, and the factory locks on
/// each call: under load that lock was contended on every request (docs/performance.md). The factory returns the
/// same logger for a category every time, providers added later included, so remembering it changes nothing else.
/// </summary>
public sealed class CachingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public ILogger CreateLogger(string categoryName) =>
        _loggers.TryGetValue(categoryName, out var logger) ? logger : _loggers.GetOrAdd(categoryName, inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
