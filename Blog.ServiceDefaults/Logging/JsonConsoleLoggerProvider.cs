using System.Buffers;
using System.Collections.Concurrent;
using Blog.ServiceDefaults.Metrics;
using Microsoft.Extensions.Logging;

namespace Blog.ServiceDefaults.Logging;

/// <summary>
/// Writes <see cref="JsonLogFormatter"/> lines to stdout. Each line is formatted on the calling thread into
/// a pooled buffer and queued without a lock or a wake-up; one writer thread collects what has queued every
/// few milliseconds and sends it in large writes.
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

    /// <summary>How long a line may wait for the writer: short enough for a human tailing the log.</summary>
    private static readonly TimeSpan CollectInterval = TimeSpan.FromMilliseconds(10);

    private const int WriteBufferSize = 64 * 1024;

    private readonly ConcurrentQueue<Line> _lines = new();
    // No spinning: the writer waits 10 ms at a time, and spinning before each wait cost a tenth of a core.
    private readonly ManualResetEventSlim _stopping = new(initialState: false, spinCount: 0);
    private readonly Thread _writer;
    private readonly Stream _stdout;
    private readonly TelemetryDrops _drops;
    private int _queued;
    private IExternalScopeProvider? _scopes;

    public JsonConsoleLoggerProvider(TelemetryDrops drops) : this(drops, Console.OpenStandardOutput())
    {
    }

    /// <summary>Writes to <paramref name="output"/> instead of stdout.</summary>
    public JsonConsoleLoggerProvider(TelemetryDrops drops, Stream output)
    {
        _drops = drops;
        _stdout = output;
        _writer = new Thread(WriteLines) { IsBackground = true, Name = "Blog JSON log writer" };
        _writer.Start();
    }

    public ILogger CreateLogger(string categoryName) => new JsonConsoleLogger(categoryName, this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
        // Whatever was logged before shutdown still reaches stdout, within a bound so a blocked pipe cannot hang the exit.
        _stopping.Set();
        _writer.Join(TimeSpan.FromSeconds(5));
    }

    private void Enqueue(ArrayBufferWriter<byte> formatted)
    {
        if (Interlocked.Increment(ref _queued) > QueueCapacity || _stopping.IsSet)
        {
            Interlocked.Decrement(ref _queued);
            _drops.LogLineDropped();
            return;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(formatted.WrittenCount);
        formatted.WrittenSpan.CopyTo(bytes);
        _lines.Enqueue(new Line(bytes, formatted.WrittenCount));
    }

    private void WriteLines()
    {
        var buffer = new byte[WriteBufferSize];
        while (!_stopping.Wait(CollectInterval))
        {
            WriteQueued(buffer);
        }

        WriteQueued(buffer);
    }

    private void WriteQueued(byte[] buffer)
    {
        var used = 0;
        while (_lines.TryDequeue(out var line))
        {
            Interlocked.Decrement(ref _queued);
            if (used + line.Length > buffer.Length && used > 0)
            {
                Write(buffer.AsSpan(0, used));
                used = 0;
            }

            if (line.Length > buffer.Length)
            {
                Write(line.Bytes.AsSpan(0, line.Length));
            }
            else
            {
                line.Bytes.AsSpan(0, line.Length).CopyTo(buffer.AsSpan(used));
                used += line.Length;
            }

            ArrayPool<byte>.Shared.Return(line.Bytes);
        }

        if (used > 0)
        {
            Write(buffer.AsSpan(0, used));
        }
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _stdout.Write(bytes);
            _stdout.Flush();
        }
        catch (IOException)
        {
            // stdout closed (the reader went away): the lines are lost, and counted as such.
            _drops.LogLineDropped();
        }
    }

    private readonly record struct Line(byte[] Bytes, int Length);

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
