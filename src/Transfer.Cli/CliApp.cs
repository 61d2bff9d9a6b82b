using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Transfer.Cli.Commands;
using Transfer.Cli.Output;
using Transfer.Images;

namespace Transfer.Cli;

/// <summary>
/// The <c>transfer</c> command line: parses, runs a command, and turns every failure into a documented
/// <see cref="ExitCode"/> with a one-line reason on stderr. Tests call <see cref="RunAsync"/> in-process.
/// </summary>
internal static class CliApp
{
    /// <summary>Builds the command tree.</summary>
    /// <param name="console">Where the commands write.</param>
    /// <returns>The root command.</returns>
    public static RootCommand CreateRootCommand(CliConsole console)
    {
        var root = new RootCommand("transfer: transfer-learning image classification on ML.NET and ONNX Runtime. Train from a folder of images (one sub-folder per class), evaluate, predict.");
        root.Subcommands.Add(TrainCommand.Create(console));
        root.Subcommands.Add(FeaturizeCommand.Create(console));
        root.Subcommands.Add(EvaluateCommand.Create(console));
        root.Subcommands.Add(PredictCommand.Create(console));
        root.Subcommands.Add(CacheCommand.Create(console));
        root.Subcommands.Add(BackbonesCommand.Create(console));
        root.Subcommands.Add(SimilarCommand.Create(console));
        root.Subcommands.Add(AddClassCommand.Create(console));
        root.Subcommands.Add(AuditCommand.Create(console));
        root.Subcommands.Add(ExportCommand.Create(console));
        root.Options.Add(CliLogging.VerbosityOption());
        root.Options.Add(CliLogging.LogFileOption());
        return root;
    }

    /// <summary>Runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="console">Where to write.</param>
    /// <param name="cancellationToken">Stops the command (exit code 130).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var root = CreateRootCommand(console);
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            // One line, not System.CommandLine's help dump: the first problem and where to look.
            string command = parse.CommandResult.Command == root ? "transfer" : $"transfer {string.Join(' ', CommandPath(parse.CommandResult.Command, root))}";
            // An unknown word explains more than the "required command" error System.CommandLine lists first.
            var error = parse.UnmatchedTokens.Count == 0 ? parse.Errors[0]
                : parse.Errors.FirstOrDefault(e => e.Message.Contains(parse.UnmatchedTokens[0], StringComparison.Ordinal)) ?? parse.Errors[0];
            await console.Error.WriteLineAsync($"error: {OneLine(error.Message)} (see '{command} --help')").ConfigureAwait(false);
            return (int)ExitCode.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            // Ctrl+C is the caller's token (Program.cs); no process-wide handler from here.
            ProcessTerminationTimeout = null,
        };
        CliLogging logging;
        try
        {
            logging = CliLogging.Create(parse.GetValue<string>(CliLogging.VerbosityName), parse.GetValue<string?>(CliLogging.LogFileName), console.Error);
        }
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync($"error: {OneLine(ex.Message)}").ConfigureAwait(false);
            return (int)ex.Code;
        }

        using (logging)
        {
            console.Logging = logging;
            var logger = logging.Factory.CreateLogger(CliLog.Category);
            long started = Stopwatch.GetTimestamp();
            if (logger.IsEnabled(LogLevel.Information))
            {
                string version = typeof(CliApp).Assembly.GetName().Version?.ToString(3) ?? "?";
                string arguments = string.Join(' ', args);
                CliLog.Started(logger, version, arguments);
            }

            try
            {
                int code = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                CliLog.Finished(logger, code, seconds);
                return code;
            }
            finally
            {
                console.Logging = null;
            }
        }
    }

    /// <summary>Runs a command body and maps its failure to an exit code and a one-line reason on stderr.</summary>
    /// <param name="console">Where to write the reason.</param>
    /// <param name="body">The command.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> GuardAsync(CliConsole console, Func<Task<int>> body)
    {
        ExitCode code;
        string reason;
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            (code, reason) = (ex.Code, ex.Message);
        }
        catch (OperationCanceledException)
        {
            (code, reason) = (ExitCode.Cancelled, "Cancelled.");
        }
        catch (DatasetException ex)
        {
            (code, reason) = (ExitCode.NoImages, ex.Message);
        }
        catch (InvalidImageException ex)
        {
            (code, reason) = (ExitCode.BadImage, ex.Message);
        }
#pragma warning disable CA1031 // The last resort: a bug still ends with a code and a line, not a stack trace.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            (code, reason) = (ExitCode.InternalError, $"Unexpected {ex.GetType().Name}: {ex.Message} (please report this with the command line).");
        }

        await console.Error.WriteLineAsync($"error: {OneLine(reason)}").ConfigureAwait(false);
        console.Logging?.WriteToFile(LogLevel.Error, CliLog.Category, OneLine(reason));
        return (int)code;
    }

    private static List<string> CommandPath(Command command, RootCommand root)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c && c != root; s = s.Parents.FirstOrDefault())
        {
            names.Insert(0, c.Name);
        }

        return names;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
