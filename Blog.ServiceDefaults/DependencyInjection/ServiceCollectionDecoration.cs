using Microsoft.Extensions.DependencyInjection;

namespace Blog.ServiceDefaults.DependencyInjection;

public static class ServiceCollectionDecoration
{
    /// <summary>
    /// Replaces the last (unkeyed) registration of <typeparamref name="TService"/> with <paramref name="decorate"/>
    /// around it, keeping its lifetime. The decorated instance is built here, so the decorator owns it.
    /// </summary>
    public static IServiceCollection Decorate<TService>(this IServiceCollection services, Func<TService, IServiceProvider, TService> decorate)
        where TService : class
    {
        var original = services.Last(d => d.ServiceType == typeof(TService) && !d.IsKeyedService);
        services.Remove(original);
        services.Add(ServiceDescriptor.Describe(typeof(TService), sp =>
            decorate((TService)(original.ImplementationInstance ?? original.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!)), sp), original.Lifetime));
        return services;
    }
}
