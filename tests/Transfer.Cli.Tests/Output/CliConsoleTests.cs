using Transfer.Cli.Output;

namespace Transfer.Cli.Tests.Output;

public sealed class CliConsoleTests
{
    [Fact]
    public void WriteTable_Redirected_PlainAlignedColumnsWithoutBorders()
    {
        using var output = new StringWriter();
        var console = new CliConsole(output, TextWriter.Null, interactive: false);

        console.WriteTable(["class", "accuracy"], [["cat", "0.9"], ["[dog]", "1"]], 1);

        string[] lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(lines, l => l.Contains('│') || l.Contains('─'));
        Assert.Contains(lines, l => l.Contains("class", StringComparison.Ordinal) && l.Contains("accuracy", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("[dog]", StringComparison.Ordinal)); // cells are text, never markup
    }

    [Fact]
    public void WriteTable_Interactive_DrawsBordersAroundTheRows()
    {
        using var plain = new StringWriter();
        using var terminal = new StringWriter();

        new CliConsole(plain, TextWriter.Null, interactive: false).WriteTable(["class"], [["cat"]]);
        new CliConsole(terminal, TextWriter.Null, interactive: true).WriteTable(["class"], [["cat"]]);

        static int Lines(StringWriter w) => w.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.Equal(2, Lines(plain)); // header, row
        Assert.True(Lines(terminal) >= 5, terminal.ToString()); // top border, header, rule, row, bottom border
    }
}
