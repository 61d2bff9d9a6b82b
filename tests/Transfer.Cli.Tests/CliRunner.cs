using Transfer.Cli.Output;

namespace Transfer.Cli.Tests;

/// <summary>Runs <c>transfer</c> in-process (the same entry point as Program.cs) and captures stdout and stderr.</summary>
internal static class CliRunner
{
    public static async Task<CliRun> RunAsync(params string[] args) => await RunAsync(CancellationToken.None, args);

    public static async Task<CliRun> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await CliApp.RunAsync(args, new CliConsole(output, error, interactive: false), cancellationToken);
        return new CliRun(code, output.ToString(), error.ToString());
    }
}

/// <summary>What a command did.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Gets the non-empty lines of stderr.</summary>
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}
