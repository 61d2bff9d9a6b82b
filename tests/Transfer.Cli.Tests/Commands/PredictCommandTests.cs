using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class PredictCommandTests(CliData data)
{
    [Fact]
    public async Task Predict_JsonTop2_ListsBestClassesInOrder()
    {
        string[] images = [.. Directory.GetFiles(Path.Combine(data.Test, "Trouser")).Order(StringComparer.Ordinal).Take(2)];

        var run = await CliRunner.RunAsync(["predict", data.Model, .. images, "--top", "2", "--json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var predictions = json.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(2, predictions.Count);
        for (int i = 0; i < 2; i++)
        {
            var p = predictions[i];
            Assert.Equal(images[i], p.GetProperty("image").GetString());
            var top = p.GetProperty("top").EnumerateArray().ToList();
            Assert.Equal(2, top.Count);
            Assert.Equal(p.GetProperty("label").GetString(), top[0].GetProperty("label").GetString());
            Assert.Equal(p.GetProperty("score").GetSingle(), top[0].GetProperty("score").GetSingle());
            Assert.True(top[0].GetProperty("score").GetSingle() >= top[1].GetProperty("score").GetSingle());
            Assert.InRange(top[0].GetProperty("score").GetSingle() + top[1].GetProperty("score").GetSingle(), 0f, 1.0001f);
        }
    }

    [Fact]
    public async Task Predict_Folder_PredictsEveryImageAsATable()
    {
        var run = await CliRunner.RunAsync("predict", data.Model, data.Test);

        Assert.True(run.ExitCode == 0, run.ToString());
        var rows = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        Assert.Equal(9, rows.Count);
        // Most test images get their own class (the evaluation's accuracy is checked in EvaluateCommandTests).
        int right = rows.Count(r => CliData.Classes.Any(c => r.Contains($"{Path.DirectorySeparatorChar}{c}{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == c));
        Assert.True(right >= 6, run.Out);
    }

    [Fact]
    public async Task Predict_MissingImage_ExitsNotFound()
    {
        string missing = Path.Combine(data.Root, "nothing.png");

        var run = await CliRunner.RunAsync("predict", data.Model, missing);

        TrainCommandTests.AssertError(run, ExitCode.NotFound, missing);
    }

    [Fact]
    public async Task Predict_NotAnImage_ExitsBadImage()
    {
        string fake = Path.Combine(data.NewFolder("fake-image"), "photo.png");
        File.WriteAllText(fake, "plain text");

        var run = await CliRunner.RunAsync("predict", data.Model, fake);

        TrainCommandTests.AssertError(run, ExitCode.BadImage, "photo.png");
    }

    [Fact]
    public async Task Predict_OneBadImageAmongGoodOnes_PredictsTheOthersAndExitsBadImage()
    {
        string fake = Path.Combine(data.NewFolder("fake-among-good"), "photo.png");
        File.WriteAllText(fake, "plain text");
        string good = Directory.GetFiles(Path.Combine(data.Test, "Trouser")).Order(StringComparer.Ordinal).First();

        var run = await CliRunner.RunAsync("predict", data.Model, good, fake, "--json");

        Assert.Equal((int)ExitCode.BadImage, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        var prediction = Assert.Single(json.RootElement.GetProperty("predictions").EnumerateArray());
        Assert.Equal(good, prediction.GetProperty("image").GetString());
        var failed = Assert.Single(json.RootElement.GetProperty("failed").EnumerateArray());
        Assert.Equal(fake, failed.GetProperty("source").GetString());
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains("photo.png", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_EmptyFolder_ExitsNoImages()
    {
        string empty = data.NewFolder("no-pngs");

        var run = await CliRunner.RunAsync("predict", data.Model, empty);

        TrainCommandTests.AssertError(run, ExitCode.NoImages, empty);
    }

    [Fact]
    public async Task Predict_MissingModel_ExitsNotFound()
    {
        var run = await CliRunner.RunAsync("predict", Path.Combine(data.Root, "gone.zip"), data.Test);

        TrainCommandTests.AssertError(run, ExitCode.NotFound, "gone.zip");
    }

    [Theory]
    [InlineData("0", "--top must be at least 1, was 0.")]
    [InlineData("three", "three")]
    public async Task Predict_BadTop_ExitsUsage(string top, string expected)
    {
        var run = await CliRunner.RunAsync("predict", data.Model, data.Test, "--top", top);

        TrainCommandTests.AssertError(run, ExitCode.Usage, expected);
    }

    [Fact]
    public async Task Predict_NoImages_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("predict", data.Model);

        TrainCommandTests.AssertError(run, ExitCode.Usage, "'predict'");
    }
}
