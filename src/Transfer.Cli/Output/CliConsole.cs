using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace Transfer.Cli.Output;

/// <summary>
/// Where a command writes: results to <see cref="Out"/>, the one-line error reason to <see cref="Error"/>. Progress bars,
/// colours and live rendering only when <see cref="Interactive"/> (a terminal); otherwise plain text.
/// </summary>
internal sealed class CliConsole
{
    private const int PlainWidth = 160;

    public CliConsole(TextWriter output, TextWriter error, bool interactive)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            // A pipe or file has no width; keep tables on one line per row.
            Ansi.Profile.Width = PlainWidth;
        }
    }

    /// <summary>Gets the result stream (stdout).</summary>
    public TextWriter Out { get; }

    /// <summary>Gets the error stream (stderr).</summary>
    public TextWriter Error { get; }

    /// <summary>Gets a value indicating whether the output is a terminal (progress bars and colours).</summary>
    public bool Interactive { get; }

    /// <summary>Gets the Spectre.Console renderer over <see cref="Out"/>.</summary>
    public IAnsiConsole Ansi { get; }

    /// <summary>Gets or sets the logging of the running command line (<c>--verbosity</c>, <c>--log-file</c>), set by <see cref="CliApp.RunAsync"/>.</summary>
    public CliLogging? Logging { get; set; }

    /// <summary>Gets the logger factory commands pass to the library: stderr (and the log file) at the chosen verbosity; none before <see cref="CliApp.RunAsync"/> sets <see cref="Logging"/>.</summary>
    public ILoggerFactory LoggerFactory => Logging?.Factory ?? NullLoggerFactory.Instance;

    /// <summary>Creates the console of the process: interactive when neither stdout nor stderr is redirected.</summary>
    /// <returns>The console.</returns>
    public static CliConsole FromProcess() =>
        new(Console.Out, Console.Error, !Console.IsOutputRedirected && !Console.IsErrorRedirected);

    /// <summary>Writes a table: bordered on a terminal, plain aligned columns otherwise. Cells are text, never markup.</summary>
    /// <param name="headers">The column headers.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="rightAligned">Indexes of numeric columns.</param>
    public void WriteTable(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, params int[] rightAligned)
    {
        var table = new Table { Border = Interactive ? TableBorder.Rounded : TableBorder.None };
        for (int i = 0; i < headers.Count; i++)
        {
            var column = new TableColumn(new Text(headers[i]));
            if (Array.IndexOf(rightAligned, i) >= 0)
            {
                column.RightAligned();
            }

            table.AddColumn(column);
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
        }

        Ansi.Write(table);
    }

    /// <summary>Writes a line of plain text (never markup).</summary>
    /// <param name="text">The text.</param>
    public void WriteLine(string text = "") => Out.WriteLine(text);
}
