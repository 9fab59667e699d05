using System.Text;
using System.Text.Json;
using Blog.ServiceDefaults.Logging;
using Blog.ServiceDefaults.Metrics;
using Microsoft.Extensions.Logging;

namespace Blog.Tests.Unit.Logging;

/// <summary>The stdout writer of the JSON log format: every line written whole, or counted as dropped.</summary>
public sealed class JsonConsoleLoggerProviderTests
{
    [Fact]
    public void Each_log_call_becomes_one_json_line_on_the_output()
    {
        var output = new GatedStream(open: true);
        var drops = new TelemetryDrops();
        using (var provider = new JsonConsoleLoggerProvider(drops, output))
        {
            var logger = provider.CreateLogger("Blog.Test");
            for (var i = 0; i < 500; i++)
            {
                logger.Log(LogLevel.Information, new EventId(1, "test.logged"), "line {number}", i);
            }
        }

        var lines = output.Lines();
        Assert.Equal(500, lines.Count);
        Assert.Equal(0, drops.LogLines);
        Assert.All(lines, line => Assert.Equal("test.logged", JsonDocument.Parse(line).RootElement.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task When_stdout_stalls_lines_are_dropped_and_counted_and_requests_are_not_held()
    {
        var output = new GatedStream(open: false);
        var drops = new TelemetryDrops();
        const int logged = JsonConsoleLoggerProvider.QueueCapacity + 2_000;
        var provider = new JsonConsoleLoggerProvider(drops, output);
        var logger = provider.CreateLogger("Blog.Test");

        // With stdout blocked, logging must still return: the overflow is dropped, not waited for (WaitAsync throws if not).
        var logging = Task.Run(() =>
        {
            for (var i = 0; i < logged; i++)
            {
                logger.Log(LogLevel.Information, new EventId(1, "test.logged"), "line {number}", i);
            }
        });
        await logging.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(drops.LogLines > 0, "nothing was counted as dropped");

        output.Open();
        provider.Dispose();

        // Every line is accounted for: written whole, or counted in telemetry_dropped_total.
        Assert.Equal(logged, output.Lines().Count + drops.LogLines);
    }

    /// <summary>An output whose writes wait until it is opened, like a pipe nobody reads.</summary>
    private sealed class GatedStream(bool open) : Stream
    {
        private readonly TaskCompletionSource _opened = NewGate(open);
        private readonly MemoryStream _written = new();

        public void Open() => _opened.TrySetResult();

        public List<string> Lines()
        {
            lock (_written)
            {
                return Encoding.UTF8.GetString(_written.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _opened.Task;
            lock (_written)
            {
                _written.Write(buffer.Span);
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().Wait();

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        private static TaskCompletionSource NewGate(bool open)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (open)
            {
                gate.SetResult();
            }

            return gate;
        }
    }
}
