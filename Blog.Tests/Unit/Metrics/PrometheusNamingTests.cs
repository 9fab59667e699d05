using System.Diagnostics.Metrics;
using Blog.ServiceDefaults.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Blog.Tests.Unit.Metrics;

/// <summary>
/// The views of <see cref="PrometheusNaming"/>, applied to the runtime's real instruments and to stand-ins for
/// the ones of libraries (Npgsql) that need a live dependency to publish.
/// </summary>
public sealed class PrometheusNamingTests
{
    /// <summary>One collection of the given meters, as the exporters would see it.</summary>
    private static List<MetricSnapshot> Export(params string[] meters)
    {
        var exported = new List<MetricSnapshot>();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meters)
            .AddPrometheusSafeNames()
            .AddInMemoryExporter(exported)
            .Build();
        Assert.True(provider.ForceFlush());
        // Copied before disposal, which exports once more.
        return [.. exported];
    }

    [Theory]
    [InlineData("dotnet.assembly.count", "dotnet.assemblies.loaded")]
    [InlineData("dotnet.process.cpu.count", "dotnet.process.cpus")]
    [InlineData("dotnet.timer.count", "dotnet.timers.active")]
    public void The_runtimes_count_gauges_are_exported_under_names_without_count(string instrument, string name)
    {
        var names = Export("System.Runtime").Select(m => m.Name).ToList();

        Assert.Contains(name, names);
        Assert.DoesNotContain(instrument, names);
    }

    [Fact]
    public void The_database_connection_gauge_is_exported_as_connections_with_its_type_unit_and_value()
    {
        using var meter = new Meter($"Blog.Tests.Npgsql.{Guid.NewGuid():N}");
        meter.CreateObservableUpDownCounter("db.client.connection.count", () => 7L, unit: "{connection}");

        var metric = Assert.Single(Export(meter.Name));

        Assert.Equal("db.client.connections", metric.Name);
        Assert.Equal("{connection}", metric.Unit);
        Assert.Equal(MetricType.LongSumNonMonotonic, metric.MetricType);
        Assert.Equal(7, Assert.Single(metric.MetricPoints).GetSumLong());
    }

    [Fact]
    public void Instruments_that_are_not_renamed_keep_their_names()
    {
        using var meter = new Meter($"Blog.Tests.Other.{Guid.NewGuid():N}");
        meter.CreateObservableUpDownCounter("blog.widgets.count", () => 1L);
        meter.CreateObservableGauge("dotnet.gc.last_collection.memory.committed_size", () => 1L);

        var names = Export(meter.Name).Select(m => m.Name).Order().ToList();

        Assert.Equal(["blog.widgets.count", "dotnet.gc.last_collection.memory.committed_size"], names);
    }
}
