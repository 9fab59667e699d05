using System.Buffers;
using System.Threading.Channels;
using Blog.ServiceDefaults.Metrics;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// Writes <see cref="JsonLogFormatter"/> lines to stdout. Each line is formatted on the calling thread into
/// a pooled buffer and handed to one writer that sends whatever has queued in large writes.
/// </summary>
/// <remarks>
/// It replaces the framework's console logger for the JSON format, which takes a lock and wakes its writer
/// for every line and makes one write call per line: at the request rate that lock and those calls cost more
/// than the request itself (docs/performance.md). Under overload lines are dropped rather than stalling
/// requests, and never silently: each dropped line counts in <c>telemetry_dropped_total{signal="logs"}</c>.
/// Its alias is "Console", so <c>Logging:Console:LogLevel</c> filters apply to it as before.
/// </remarks>
[ProviderAlias("Console")]
public sealed class JsonConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    /// <summary>Lines waiting for stdout before new ones are dropped: seconds of logs at any sane rate.</summary>
    public const int QueueCapacity = 16_384;

    private const int WriteBufferSize = 64 * 1024;

    private readonly Channel<Line> _lines;
    private readonly Task _writer;
    private readonly Stream _stdout;
    private readonly TelemetryDrops _drops;
    private IExternalScopeProvider? _scopes;

    public JsonConsoleLoggerProvider(TelemetryDrops drops) : this(drops, Console.OpenStandardOutput())
    {
    }

    /// <summary>Writes to <paramref name="output"/> instead of stdout.</summary>
    public JsonConsoleLoggerProvider(TelemetryDrops drops, Stream output)
    {
        _drops = drops;
        _stdout = output;
        _lines = Channel.CreateBounded<Line>(
            new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            dropped =>
            {
                dropped.Return();
                _drops.LogLineDropped();
            });
        _writer = Task.Factory.StartNew(WriteLinesAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public ILogger CreateLogger(string categoryName) => new JsonConsoleLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
        _lines.Writer.TryComplete();
        // Whatever was logged before shutdown still reaches stdout, within a bound so a blocked pipe cannot hang the exit.
        _writer.Wait(TimeSpan.FromSeconds(5));
    }

    private void Enqueue(ArrayBufferWriter<byte> formatted)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(formatted.WrittenCount);
        formatted.WrittenSpan.CopyTo(bytes);
        if (!_lines.Writer.TryWrite(new Line(bytes, formatted.WrittenCount)))
        {
            // Completed at shutdown: nowhere left to write.
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private async Task WriteLinesAsync()
    {
        var buffer = new byte[WriteBufferSize];
        var reader = _lines.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var used = 0;
            while (reader.TryRead(out var line))
            {
                if (used + line.Length > buffer.Length && used > 0)
                {
                    await WriteAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                    used = 0;
                }

                if (line.Length > buffer.Length)
                {
                    await WriteAsync(line.Bytes.AsMemory(0, line.Length)).ConfigureAwait(false);
                }
                else
                {
                    line.Bytes.AsSpan(0, line.Length).CopyTo(buffer.AsSpan(used));
                    used += line.Length;
                }

                line.Return();
            }

            if (used > 0)
            {
                await WriteAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
            }
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await _stdout.WriteAsync(bytes).ConfigureAwait(false);
            await _stdout.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // stdout closed (the reader went away): the lines are lost, and counted as such.
            _drops.LogLineDropped();
        }
    }

    private readonly record struct Line(byte[] Bytes, int Length)
    {
        public void Return() => ArrayPool<byte>.Shared.Return(Bytes);
    }

    private sealed class JsonConsoleLogger(string category, JsonConsoleLoggerProvider provider) : ILogger
    {
        [ThreadStatic]
        private static ArrayBufferWriter<byte>? t_buffer;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            provider._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
            buffer.ResetWrittenCount();
            JsonLogFormatter.Write(buffer, category, logLevel, eventId, state, exception, formatter, provider._scopes);
            if (buffer.WrittenCount > 0)
            {
                provider.Enqueue(buffer);
            }

            // A rare huge line (a long exception) must not pin a large buffer to the thread for good.
            if (buffer.Capacity > 64 * 1024)
            {
                t_buffer = null;
            }
        }
    }
}
