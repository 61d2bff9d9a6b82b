using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Transfer.Cli.Output;

/// <summary>
/// Writes log lines to a text writer, one line per entry (the exception's text after it): on stderr <c>warning: message</c>;
/// in a log file <c>2026-01-31T12:00:00.000Z warning Category[EventId]: message</c>. Writers are shared, so a lock orders the lines.
/// </summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, bool timestamps, Lock gate) : ILoggerProvider
{
    private TextWriter Writer => writer;

    private bool Timestamps => timestamps;

    private Lock Gate => gate;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Writes one entry (the caller holds the lock).</summary>
    internal static void Write(TextWriter writer, bool timestamps, LogLevel level, string category, EventId eventId, string message, Exception? exception)
    {
        string name = level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
        if (timestamps)
        {
            string id = eventId.Id == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"[{eventId.Id}]");
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {name} {category}{id}: {message}"));
            if (exception is not null)
            {
                writer.WriteLine(exception.ToString());
            }
        }
        else
        {
            writer.WriteLine(exception is null ? $"{name}: {message}" : $"{name}: {message} ({exception.GetType().Name}: {exception.Message})");
        }
    }

    private sealed class Logger(TextWriterLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string message = formatter(state, exception);
            lock (provider.Gate)
            {
                Write(provider.Writer, provider.Timestamps, logLevel, category, eventId, message, exception);
            }
        }
    }
}
