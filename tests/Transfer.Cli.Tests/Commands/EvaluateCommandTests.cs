using System.IO.Compression;
using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class EvaluateCommandTests(CliData data)
{
    [Fact]
    public async Task Evaluate_Json_HasMetricsAndPerClassFigures()
    {
        var run = await CliRunner.RunAsync("evaluate", data.Model, data.Test, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal(9, root.GetProperty("count").GetInt32());
        Assert.InRange(root.GetProperty("microAccuracy").GetDouble(), 0.6, 1.0);
        Assert.InRange(root.GetProperty("macroAccuracy").GetDouble(), 0.6, 1.0);
        Assert.InRange(root.GetProperty("logLoss").GetDouble(), 1e-6, 2.0);
        var perClass = root.GetProperty("perClass").EnumerateArray().ToList();
        Assert.Equal(CliData.Classes, perClass.Select(c => c.GetProperty("name").GetString()!).ToArray());
        Assert.All(perClass, c => Assert.Equal(3, c.GetProperty("support").GetInt32()));
        Assert.All(perClass, c => Assert.InRange(c.GetProperty("recall").GetDouble(), 0, 1));
        int diagonal = 0;
        var matrix = root.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int i = 0; i < matrix.Length; i++)
        {
            Assert.Equal(3, matrix[i].Sum());
            diagonal += matrix[i][i];
        }

        Assert.Equal(root.GetProperty("microAccuracy").GetDouble(), diagonal / 9.0, 6);
    }

    [Fact]
    public async Task Evaluate_SameImagesAsTraining_MatchesTrainReport()
    {
        var run = await CliRunner.RunAsync("evaluate", data.Model, data.Test);

        Assert.True(run.ExitCode == 0, run.ToString());
        // The saved model scores the test folder exactly as the training run's own evaluation did.
        string trainLine = data.TrainOutput.Split('\n').First(l => l.StartsWith("Micro-accuracy", StringComparison.Ordinal));
        string evaluateLine = run.Out.Split('\n').First(l => l.StartsWith("Micro-accuracy", StringComparison.Ordinal));
        Assert.Equal(trainLine[..40], evaluateLine[..40]);
        Assert.Contains("Trouser", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_MissingModel_ExitsNotFound()
    {
        string missing = Path.Combine(data.Root, "none.zip");

        var run = await CliRunner.RunAsync("evaluate", missing, data.Test);

        TrainCommandTests.AssertError(run, ExitCode.NotFound, missing);
    }

    [Fact]
    public async Task Evaluate_TextFileAsModel_ExitsBadModel()
    {
        string fake = Path.Combine(data.NewFolder("fake-model"), "model.zip");
        File.WriteAllText(fake, "not a zip");

        var run = await CliRunner.RunAsync("evaluate", fake, data.Test);

        TrainCommandTests.AssertError(run, ExitCode.BadModel, fake);
    }

    [Fact]
    public async Task Evaluate_ZipWithoutManifest_ExitsBadModel()
    {
        string fake = Path.Combine(data.NewFolder("zip-model"), "model.zip");
        using (var zip = ZipFile.Open(fake, ZipArchiveMode.Create))
        {
            zip.CreateEntry("readme.txt");
        }

        var run = await CliRunner.RunAsync("evaluate", fake, data.Test);

        TrainCommandTests.AssertError(run, ExitCode.BadModel, fake);
    }

    [Fact]
    public async Task Evaluate_MissingFolder_ExitsNotFound()
    {
        string missing = Path.Combine(data.Root, "no-images");

        var run = await CliRunner.RunAsync("evaluate", data.Model, missing);

        TrainCommandTests.AssertError(run, ExitCode.NotFound, missing);
    }

    [Fact]
    public async Task Evaluate_ClassTheModelDoesNotKnow_ExitsNoImages()
    {
        string folder = data.NewFolder("unknown-class");
        CliData.CopyTree(Path.Combine(data.Test, "Bag"), Path.Combine(folder, "Bag"));
        CliData.CopyTree(Path.Combine(data.Test, "Bag"), Path.Combine(folder, "Coat"));

        var run = await CliRunner.RunAsync("evaluate", data.Model, folder);

        TrainCommandTests.AssertError(run, ExitCode.NoImages, "Coat");
    }
}
