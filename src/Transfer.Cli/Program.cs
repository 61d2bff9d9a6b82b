using Transfer.Cli;
using Transfer.Cli.Output;

// transfer: the command-line tool. Ctrl+C cancels the running command (exit code 130); a second Ctrl+C kills the process.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};
return await CliApp.RunAsync(args, CliConsole.FromProcess(), cancellation.Token).ConfigureAwait(false);
