using System.Text.Json;

namespace Transfer.Cli.Tests.Commands;

/// <summary>
/// <c>transfer export</c> on the ResNet18 model the CLI tests train on real Fashion-MNIST PNGs (its automatic head):
/// ONNX Runtime, fed RGB bytes decoded without Transfer, agrees with <c>transfer predict</c>.
/// </summary>
[Collection(CliTestGroup.Name)]
public sealed class ExportCommandTests(CliData data)
{
    [Fact]
    public async Task Export_Json_FileScoredByOnnxRuntimeAgreesWithPredict()
    {
        string onnx = Path.Combine(data.NewFolder("export"), "model.onnx");
        string[] images = [.. CliData.Classes.SelectMany(c => Directory.GetFiles(Path.Combine(data.Test, c)).Order(StringComparer.Ordinal))];

        var export = await CliRunner.RunAsync("export", data.Model, "--out", onnx, "--json");
        var predict = await CliRunner.RunAsync(["predict", data.Model, .. images, "--top", "3", "--json"]);

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(predict.ExitCode == 0, predict.ToString());
        using var exported = JsonDocument.Parse(export.Out);
        var root = exported.RootElement;
        Assert.Equal(onnx, root.GetProperty("output").GetString());
        Assert.Equal(new FileInfo(onnx).Length, root.GetProperty("bytes").GetInt64());
        Assert.Equal("image", root.GetProperty("input").GetString());
        Assert.Equal(["probabilities", "label"], root.GetProperty("outputs").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(CliData.Classes, root.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ResNet18-MS", root.GetProperty("backbone").GetString());
        Assert.Equal("Stretch", root.GetProperty("resizeMode").GetString());

        using var scorer = new OnnxExportScorer(File.ReadAllBytes(onnx));
        using var predictions = JsonDocument.Parse(predict.Out);
        var expected = predictions.RootElement.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(images.Length, expected.Count);
        for (int i = 0; i < images.Length; i++)
        {
            var (probabilities, label) = scorer.Score(File.ReadAllBytes(images[i]));
            Assert.Equal(expected[i].GetProperty("label").GetString(), label);
            foreach (var top in expected[i].GetProperty("top").EnumerateArray())
            {
                int k = Array.IndexOf(CliData.Classes, top.GetProperty("label").GetString());
                Assert.True(Math.Abs(probabilities[k] - top.GetProperty("score").GetSingle()) < 1e-3, $"{images[i]}: {CliData.Classes[k]} {probabilities[k]} vs predict {top.GetProperty("score").GetSingle()}");
            }
        }
    }

    [Fact]
    public async Task Export_Text_NamesTheFileAndItsTensors()
    {
        string onnx = Path.Combine(data.NewFolder("export-text"), "model.onnx");

        var run = await CliRunner.RunAsync("export", data.Model, "-o", onnx);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("model.onnx", run.Out, StringComparison.Ordinal);
        Assert.Contains("Input \"image\": RGB uint8 NHWC", run.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(onnx));
    }

    [Fact]
    public async Task Export_MissingModel_ExitsNotFound()
    {
        string missing = Path.Combine(data.Root, "no-model.zip");

        var run = await CliRunner.RunAsync("export", missing, "--out", Path.Combine(data.Root, "x.onnx"));

        TrainCommandTests.AssertError(run, ExitCode.NotFound, missing);
    }

    [Fact]
    public async Task Export_OutIsAFolder_ExitsOutputFailed()
    {
        string folder = data.NewFolder("out-folder");

        var run = await CliRunner.RunAsync("export", data.Model, "--out", folder);

        TrainCommandTests.AssertError(run, ExitCode.OutputFailed, "is a folder");
    }

    [Fact]
    public async Task Export_OutUnderAFile_ExitsOutputFailedNamingThePath()
    {
        string file = Path.Combine(data.NewFolder("out-file"), "plain.txt");
        File.WriteAllText(file, "not a folder");
        string onnx = Path.Combine(file, "model.onnx");

        var run = await CliRunner.RunAsync("export", data.Model, "--out", onnx);

        TrainCommandTests.AssertError(run, ExitCode.OutputFailed, onnx);
    }
}
