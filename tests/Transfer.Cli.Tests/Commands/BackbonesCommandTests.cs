using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class BackbonesCommandTests
{
    [Fact]
    public async Task Backbones_Json_ListsResNet18AndResNet18MsWithMeasuredTime()
    {
        var run = await CliRunner.RunAsync("backbones", "--measure", "2", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var rows = json.RootElement.GetProperty("backbones").EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        var resnet = rows[0];
        Assert.Equal("ResNet18", resnet.GetProperty("name").GetString());
        Assert.True(resnet.GetProperty("available").GetBoolean());
        Assert.Equal(224, resnet.GetProperty("width").GetInt32());
        Assert.Equal(224, resnet.GetProperty("height").GetInt32());
        Assert.Equal(512, resnet.GetProperty("featureLength").GetInt32());
        Assert.InRange(resnet.GetProperty("msPerImage").GetDouble(), 0.01, 60_000);
        Assert.Equal(2, resnet.GetProperty("measuredImages").GetInt32());

        var multiStage = rows[1];
        Assert.Equal("ResNet18-MS", multiStage.GetProperty("name").GetString());
        Assert.True(multiStage.GetProperty("available").GetBoolean());
        Assert.Equal(224, multiStage.GetProperty("width").GetInt32());
        Assert.Equal(768, multiStage.GetProperty("featureLength").GetInt32());
        Assert.InRange(multiStage.GetProperty("msPerImage").GetDouble(), 0.01, 60_000);
    }

    [Fact]
    public async Task Backbones_NoMeasure_PrintsTableWithoutTiming()
    {
        var run = await CliRunner.RunAsync("backbones", "--measure", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("ResNet18", run.Out, StringComparison.Ordinal);
        Assert.Contains("224×224", run.Out, StringComparison.Ordinal);
        Assert.Contains("512", run.Out, StringComparison.Ordinal);
        Assert.Contains("ResNet18-MS", run.Out, StringComparison.Ordinal);
        Assert.Contains("768", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backbones_NegativeMeasure_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("backbones", "--measure", "-1");

        TrainCommandTests.AssertError(run, ExitCode.Usage, "--measure must be 0 or more, was -1.");
    }
}
