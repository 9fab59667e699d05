using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Blog.Web.Live;

/// <summary>
/// One circuit's (one browser tab's) share of <see cref="LiveUpdates"/>. Pages subscribe here instead of to the
/// server-wide feed, so that when the tab's connection drops the whole circuit stops listening at once: Blazor
/// keeps a disconnected circuit, and the pages in it, for minutes in case the tab comes back, and a page
/// listening all that while would do work (API reloads) for nobody. The subscription resumes if it reconnects.
/// </summary>
public sealed class CircuitLiveFeed(LiveUpdates live) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Func<LiveEvent, Task>> _handlers = [];
    private bool _connected = true;
    private bool _listening;

    /// <summary>Calls <paramref name="handler"/> for every live event while this circuit is connected, until disposed.</summary>
    public IDisposable Subscribe(Func<LiveEvent, Task> handler)
    {
        lock (_lock)
        {
            _handlers.Add(handler);
            Sync();
        }

        return new Subscription(this, handler);
    }

    internal void SetConnected(bool connected)
    {
        lock (_lock)
        {
            _connected = connected;
            Sync();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _handlers.Clear();
            Sync();
        }
    }

    private void Unsubscribe(Func<LiveEvent, Task> handler)
    {
        lock (_lock)
        {
            _handlers.Remove(handler);
            Sync();
        }
    }

    /// <summary>Listens to the server-wide feed exactly while connected with at least one page subscribed.</summary>
    private void Sync()
    {
        var listen = _connected && _handlers.Count > 0;
        if (listen && !_listening)
        {
            live.Received += RelayAsync;
        }
        else if (!listen && _listening)
        {
            live.Received -= RelayAsync;
        }

        _listening = listen;
    }

    private async Task RelayAsync(LiveEvent liveEvent)
    {
        Func<LiveEvent, Task>[] handlers;
        lock (_lock)
        {
            handlers = [.. _handlers];
        }

        foreach (var handler in handlers)
        {
            try
            {
                await handler(liveEvent);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
            {
                // A page that closed while the event was on its way; the circuit's other pages still get it.
            }
        }
    }

    private sealed class Subscription(CircuitLiveFeed feed, Func<LiveEvent, Task> handler) : IDisposable
    {
        public void Dispose() => feed.Unsubscribe(handler);
    }
}

/// <summary>Tells the circuit's <see cref="CircuitLiveFeed"/> when the browser's connection drops and returns.</summary>
internal sealed class LiveFeedCircuitHandler(CircuitLiveFeed feed) : CircuitHandler
{
    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        feed.SetConnected(false);
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        feed.SetConnected(true);
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        feed.Dispose();
        return Task.CompletedTask;
    }
}

public static class LiveUpdatesExtensions
{
    /// <summary>The server-wide feed (one WebSocket to the API) and each circuit's share of it.</summary>
    public static IServiceCollection AddLiveUpdates(this IServiceCollection services)
    {
        services.AddSingleton<LiveUpdates>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveUpdates>());
        services.AddScoped<CircuitLiveFeed>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<CircuitHandler, LiveFeedCircuitHandler>());
        return services;
    }
}
