using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Transfer.Cli.Output;

/// <summary>
/// The global <c>--verbosity</c> and <c>--log-file</c> options and the logger factory they make: log lines at the chosen
/// level go to stderr (never stdout, so <c>--json</c> stays pure JSON) and, with <c>--log-file</c>, are appended to that
/// file with timestamps. The default (minimal) shows warnings and errors.
/// </summary>
internal sealed class CliLogging : IDisposable
{
    /// <summary>The name of the verbosity option.</summary>
    public const string VerbosityName = "--verbosity";

    /// <summary>The name of the log file option.</summary>
    public const string LogFileName = "--log-file";

    private readonly TextWriter? _file;
    private readonly Lock _gate = new();

    private CliLogging(LogLevel level, TextWriter error, TextWriter? file)
    {
        Level = level;
        _file = file;
        Factory = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(level);
            builder.AddProvider(new TextWriterLoggerProvider(error, timestamps: false, _gate));
            if (file is not null)
            {
                builder.AddProvider(new TextWriterLoggerProvider(file, timestamps: true, _gate));
            }
        });
    }

    /// <summary>Gets the lowest level logged.</summary>
    public LogLevel Level { get; }

    /// <summary>Gets the logger factory every command passes to the library.</summary>
    public ILoggerFactory Factory { get; }

    /// <summary>Creates the <c>--verbosity</c> option (on every command).</summary>
    /// <returns>The option.</returns>
    public static Option<string> VerbosityOption()
    {
        var option = new Option<string>(VerbosityName, "-v")
        {
            Description = "How much to log to stderr: quiet (errors), minimal (warnings and errors; the default), normal (also each stage), detailed (debug), diagnostic (everything). dotnet's short forms q, m, n, d, diag work too.",
            Recursive = true,
            DefaultValueFactory = _ => "minimal",
            HelpName = "quiet|minimal|normal|detailed|diagnostic",
        };
        option.CompletionSources.Add("quiet", "minimal", "normal", "detailed", "diagnostic");
        return option;
    }

    /// <summary>Creates the <c>--log-file</c> option (on every command).</summary>
    /// <returns>The option.</returns>
    public static Option<string?> LogFileOption() => new(LogFileName)
    {
        Description = "Also append every log line at the chosen --verbosity, with a UTC timestamp and its category, to this file (its folder must exist).",
        Recursive = true,
        HelpName = "path",
    };

    /// <summary>Reads <c>--verbosity</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The lowest level logged.</returns>
    /// <exception cref="CliException">The value is not a verbosity (exit code <see cref="ExitCode.Usage"/>).</exception>
    public static LogLevel ParseVerbosity(string? value) => value?.ToLowerInvariant() switch
    {
        null or "m" or "minimal" => LogLevel.Warning,
        "q" or "quiet" => LogLevel.Error,
        "n" or "normal" => LogLevel.Information,
        "d" or "detailed" => LogLevel.Debug,
        "diag" or "diagnostic" => LogLevel.Trace,
        _ => throw new CliException(ExitCode.Usage, $"{VerbosityName} must be quiet, minimal, normal, detailed or diagnostic (or q, m, n, d, diag), was \"{value}\"."),
    };

    /// <summary>Creates the logging of one command line.</summary>
    /// <param name="verbosity">The <c>--verbosity</c> value.</param>
    /// <param name="logFile">The <c>--log-file</c> value, or <see langword="null"/>.</param>
    /// <param name="error">stderr.</param>
    /// <returns>The logging; dispose it to flush and close the file.</returns>
    /// <exception cref="CliException">A value is invalid or the file cannot be opened for appending (exit code <see cref="ExitCode.Usage"/>).</exception>
    public static CliLogging Create(string? verbosity, string? logFile, TextWriter error)
    {
        var level = ParseVerbosity(verbosity);
        return new CliLogging(level, error, logFile is null ? null : OpenFile(logFile));
    }

    /// <summary>Appends a line to the log file only (the command's failure, which stderr already shows as its <c>error:</c> line).</summary>
    /// <param name="level">The level.</param>
    /// <param name="category">The category.</param>
    /// <param name="message">The line.</param>
    public void WriteToFile(LogLevel level, string category, string message)
    {
        if (_file is not null && level >= Level)
        {
            lock (_gate)
            {
                TextWriterLoggerProvider.Write(_file, timestamps: true, level, category, default, message, null);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Factory.Dispose();
        lock (_gate)
        {
            _file?.Dispose();
        }
    }

    private static StreamWriter OpenFile(string path)
    {
        try
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                throw new ArgumentException("the path is empty");
            }

            if (Directory.Exists(path))
            {
                throw new IOException("it is a folder");
            }

            var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return new StreamWriter(stream) { AutoFlush = true };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or System.Security.SecurityException)
        {
            throw new CliException(ExitCode.Usage, $"{LogFileName} \"{path}\" cannot be opened for appending: {ex.Message.TrimEnd('.')}. Pass a file in an existing folder you can write to.", ex);
        }
    }
}
