using Transfer.Cli.Output;

namespace Transfer.Cli.Tests.Output;

/// <summary>The <c>--json</c> writer: the names scripts read are a stable interface (docs/CLI.md).</summary>
public sealed class JsonTests
{
    [Fact]
    public void Write_Record_CamelCaseNamesIndentedOneValuePerCall()
    {
        using var output = new StringWriter();
        var console = new CliConsole(output, TextWriter.Null, interactive: false);

        Json.Write(console, new PredictJson([new PredictionJson("cat.png", "cat", 0.75f, [new LabelScoreJson("cat", 0.75f), new LabelScoreJson("dog", 0.25f)])], [new SkippedJson("x.png", "not an image")]));

        string json = output.ToString();
        Assert.Contains("\"predictions\": [", json, StringComparison.Ordinal);
        Assert.Contains("\"image\": \"cat.png\"", json, StringComparison.Ordinal);
        Assert.Contains("\"top\": [", json, StringComparison.Ordinal);
        Assert.Contains("\"failed\": [", json, StringComparison.Ordinal);
        Assert.Contains("\"reason\": \"not an image\"", json, StringComparison.Ordinal);
        Assert.EndsWith("}" + Environment.NewLine, json, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_NotANumber_IsWrittenNotRefused()
    {
        // An estimate without folds has no standard deviation; a log-loss may be infinite. Scripts get a named literal.
        using var output = new StringWriter();
        var console = new CliConsole(output, TextWriter.Null, interactive: false);

        Json.Write(console, new EstimateJson("holdout", 10, double.NaN, double.PositiveInfinity, null, null));

        Assert.Contains("\"microAccuracy\": \"NaN\"", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"macroAccuracy\": \"Infinity\"", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"folds\": null", output.ToString(), StringComparison.Ordinal);
    }
}
