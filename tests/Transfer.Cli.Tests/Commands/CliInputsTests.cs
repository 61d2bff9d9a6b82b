using Transfer.Cli.Commands;
using Transfer.Cli.Output;

namespace Transfer.Cli.Tests.Commands;

/// <summary>The closed-set options offer their values to shell completion (<c>transfer train --head &lt;TAB&gt;</c>).</summary>
public sealed class CliInputsTests
{
    [Theory]
    [InlineData("train data --head ", new[] { "auto", "knn", "lbfgs", "lightgbm", "mlp", "prototype", "sdca", "softmax" })]
    [InlineData("audit data --head ", new[] { "auto", "knn", "lbfgs", "lightgbm", "mlp", "prototype", "sdca", "softmax" })]
    [InlineData("train data --device ", new[] { "cpu", "cuda" })]
    [InlineData("predict model.zip a.png --device ", new[] { "cpu", "cuda" })]
    [InlineData("train data --resize ", new[] { "auto", "crop", "pad", "stretch" })]
    [InlineData("featurize data --augment ", new[] { "auto", "flip", "none", "standard" })]
    [InlineData("train data --decode ", new[] { "full", "scaled" })]
    [InlineData("train data --optimizer ", new[] { "adam", "adamw", "sgd" })]
    [InlineData("similar data q.png --backbone ", new[] { "resnet18", "resnet18-ms" })]
    public void Completions_ClosedSetOption_OfferEveryValue(string commandLine, string[] expected)
    {
        var root = CliApp.CreateRootCommand(new CliConsole(TextWriter.Null, TextWriter.Null, interactive: false));

        var completions = root.Parse(commandLine).GetCompletions(commandLine.Length).Select(c => c.Label).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(expected, completions);
    }

    [Fact]
    public void Completions_HeadPartlyTyped_NarrowsToMatchingNames()
    {
        var root = CliApp.CreateRootCommand(new CliConsole(TextWriter.Null, TextWriter.Null, interactive: false));
        const string CommandLine = "train data --head li";

        var completions = root.Parse(CommandLine).GetCompletions(CommandLine.Length).Select(c => c.Label).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["lightgbm"], completions);
    }

    [Fact]
    public void Heads_EveryName_CreatesATrainer()
    {
        foreach (string head in CliInputs.Heads)
        {
            Assert.NotNull(CliInputs.CreateHead(head, null, 1));
        }
    }
}
