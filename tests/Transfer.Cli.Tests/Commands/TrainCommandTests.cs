using System.Text.Json;
using Transfer.Cli.Commands;

namespace Transfer.Cli.Tests.Commands;

[Collection(CliTestGroup.Name)]
public sealed class TrainCommandTests(CliData data)
{
    [Fact]
    public void Train_FolderWithTestSet_SavesModelAndPrintsMetrics()
    {
        Assert.True(File.Exists(data.Model));
        Assert.Contains("Trained auto on ResNet18-MS features of 18 images, 3 classes (Bag, Sneaker, Trouser).", data.TrainOutput, StringComparison.Ordinal);
        Assert.Contains("Head chosen by 5-fold cross-validated log-loss:", data.TrainOutput, StringComparison.Ordinal);
        Assert.Contains("Test (9 images, " + data.Test + "): micro-accuracy", data.TrainOutput, StringComparison.Ordinal);
        Assert.Contains("The saved head was trained on 18 images.", data.TrainOutput, StringComparison.Ordinal);
        Assert.Contains("Micro-accuracy", data.TrainOutput, StringComparison.Ordinal);
        Assert.Contains("Saved " + data.Model, data.TrainOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", data.TrainOutput, StringComparison.Ordinal); // plain output: no ANSI escapes off a terminal
    }

    [Fact]
    public void Train_Saved_PrintsHowToLoadTheModelInAnApp()
    {
        string after = data.TrainOutput[data.TrainOutput.IndexOf("Saved " + data.Model, StringComparison.Ordinal)..];

        Assert.Contains("Use it in a .NET app:", after, StringComparison.Ordinal);
        Assert.Contains("// dotnet add package Transfer.Scoring", after, StringComparison.Ordinal);
        Assert.Contains("using var model = TransferModel.Load(@\"" + data.Model + "\");", after, StringComparison.Ordinal);
        Assert.Contains("using var predictor = model.CreatePredictor();", after, StringComparison.Ordinal);
        Assert.Contains("new MLContext().Model.Load(@\"" + data.Model + "\", out _)", after, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadSnippet_PathWithAQuote_IsAValidVerbatimString()
    {
        string snippet = LoadSnippet.For("/models/my \"best\".zip", usesLightGbm: true);

        Assert.Contains("TransferModel.Load(@\"/models/my \"\"best\"\".zip\")", snippet, StringComparison.Ordinal);
        Assert.Contains("dotnet add package Transfer.Scoring Microsoft.ML.LightGbm", snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_JsonWithWarmCache_ReusesEveryFeatureAndReportsFields()
    {
        string model = Path.Combine(data.NewFolder("json"), "softmax.zip");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", model, "--test", data.Test, "--cache", data.Cache, "--head", "softmax", "--epochs", "20", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var root = json.RootElement;
        Assert.Equal(model, root.GetProperty("model").GetString());
        Assert.Equal("softmax", root.GetProperty("head").GetString());
        Assert.Equal("ResNet18-MS", root.GetProperty("backbone").GetString());
        Assert.Equal(18, root.GetProperty("trainImages").GetInt32());
        Assert.Equal(9, root.GetProperty("testImages").GetInt32());
        Assert.Equal(27, root.GetProperty("cacheHits").GetInt32());
        Assert.Equal(0, root.GetProperty("computed").GetInt32());
        Assert.Equal(CliData.Classes, root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray());
        double accuracy = root.GetProperty("evaluation").GetProperty("microAccuracy").GetDouble();
        Assert.InRange(accuracy, 0.5, 1.0);
        Assert.True(File.Exists(model));
        Assert.Empty(run.Error);
        Assert.Equal("CPU", root.GetProperty("device").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("manifest").ValueKind);
        Assert.Contains("TransferModel.Load(@\"" + model + "\")", root.GetProperty("loadSnippet").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("SoftmaxHead(epochs=20, batch=32,", root.GetProperty("headDescription").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_FineTuneJson_ReportsTheTunedRunAndTheFrozenTestFigures()
    {
        string folder = data.NewFolder("fine-tune");
        string model = Path.Combine(folder, "tuned.zip");

        // Its own cache: the run adds the trunk's activations, which the cache tests count in the shared one.
        string cache = Path.Combine(folder, "cache");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", model, "--test", data.Test, "--cache", cache, "--head", "lbfgs", "--fine-tune", "--fine-tune-layers", "block", "--fine-tune-epochs", "1", "--fine-tune-keep", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var tuning = json.RootElement.GetProperty("fineTune");
        Assert.Equal("LastBlock", tuning.GetProperty("layers").GetString());
        Assert.False(tuning.GetProperty("keptFrozen").GetBoolean());
        Assert.Equal(1, tuning.GetProperty("epochs").GetInt32());
        Assert.Equal((15, 3), (tuning.GetProperty("trainImages").GetInt32(), tuning.GetProperty("validationImages").GetInt32()));
        Assert.True(tuning.GetProperty("imagesPerSecond").GetDouble() > 0);
        Assert.Equal(9, tuning.GetProperty("frozenEvaluation").GetProperty("count").GetInt32());
        Assert.Equal(9, json.RootElement.GetProperty("evaluation").GetProperty("count").GetInt32());
        Assert.True(File.Exists(model));
    }

    [Fact]
    public async Task Train_Report_WritesTheHtmlReportAndNamesItInJson()
    {
        string folder = data.NewFolder("report");
        string model = Path.Combine(folder, "m.zip");
        string report = Path.Combine(folder, "reports", "m.html");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", model, "--test", data.Test, "--cache", data.Cache, "--report", report, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(report, json.RootElement.GetProperty("report").GetString());
        string html = File.ReadAllText(report);
        Assert.Contains("<table", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_ReportWithoutTestSet_ExitsUsage()
    {
        string model = Path.Combine(data.NewFolder("report-no-test"), "m.zip");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", model, "--test-fraction", "0", "--report", "r.html");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --report needs an estimate: pass --test <folder>, a --test-fraction above 0, or leave --test-fraction out for cross-validation.", run.Error.Trim());
    }

    [Fact]
    public async Task Train_NoTestFolder_HoldsOutTestFraction()
    {
        string model = Path.Combine(data.NewFolder("fraction"), "m.zip");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", model, "--cache", data.Cache, "--test-fraction", "0.34", "--head", "sdca", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(6, json.RootElement.GetProperty("testImages").GetInt32());
        Assert.Equal(12, json.RootElement.GetProperty("trainImages").GetInt32());
    }

    [Fact]
    public async Task Train_MissingFolder_ExitsNotFound()
    {
        string missing = Path.Combine(data.Root, "no-such-folder");

        var run = await CliRunner.RunAsync("train", missing, "--out", Path.Combine(data.Root, "x.zip"));

        AssertError(run, ExitCode.NotFound, missing);
    }

    [Fact]
    public async Task Train_MissingTestFolder_ExitsNotFound()
    {
        string missing = Path.Combine(data.Root, "no-test");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--test", missing);

        AssertError(run, ExitCode.NotFound, "--test");
    }

    [Fact]
    public async Task Train_FolderWithoutClassFolders_ExitsNoImages()
    {
        string empty = data.NewFolder("empty");

        var run = await CliRunner.RunAsync("train", empty, "--out", Path.Combine(data.Root, "x.zip"));

        AssertError(run, ExitCode.NoImages, empty);
    }

    [Fact]
    public async Task Train_OneClass_ExitsNoImages()
    {
        string folder = data.NewFolder("one-class");
        CliData.CopyTree(Path.Combine(data.Train, "Bag"), Path.Combine(folder, "Bag"));

        var run = await CliRunner.RunAsync("train", folder, "--out", Path.Combine(data.Root, "x.zip"));

        AssertError(run, ExitCode.NoImages, "at least two");
    }

    [Fact]
    public async Task Train_CorruptImage_ExitsBadImage()
    {
        string folder = data.NewFolder("corrupt");
        foreach (string c in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(folder, c));
            File.WriteAllText(Path.Combine(folder, c, "broken.png"), "this is not a PNG");
        }

        var run = await CliRunner.RunAsync("train", folder, "--out", Path.Combine(data.Root, "x.zip"), "--test-fraction", "0", "--cache", data.NewFolder("corrupt-cache"));

        AssertError(run, ExitCode.BadImage, "broken.png");
        Assert.Contains("pass --skip-bad-images to leave such files out.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_SkipBadImages_TrainsOnTheRestAndListsTheBadFile()
    {
        string folder = data.NewFolder("skip-bad");
        foreach (string c in Directory.GetDirectories(data.Train))
        {
            string target = Path.Combine(folder, Path.GetFileName(c));
            Directory.CreateDirectory(target);
            foreach (string f in Directory.GetFiles(c))
            {
                File.Copy(f, Path.Combine(target, Path.GetFileName(f)));
            }
        }

        File.WriteAllText(Path.Combine(folder, "Bag", "broken.png"), "this is not a PNG");

        var run = await CliRunner.RunAsync("train", folder, "--out", Path.Combine(data.Root, "skip.zip"), "--test", data.Test, "--cache", data.Cache, "--skip-bad-images", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        var skipped = Assert.Single(json.RootElement.GetProperty("skipped").EnumerateArray());
        Assert.EndsWith("broken.png", skipped.GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal(18, json.RootElement.GetProperty("trainImages").GetInt32());
    }

    [Fact]
    public async Task Train_UnknownHead_ExitsUnknownHead()
    {
        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--head", "svm");

        AssertError(run, ExitCode.UnknownHead, "\"svm\"");
        Assert.Contains("lbfgs, sdca, lightgbm, softmax, mlp", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_UnknownBackbone_ExitsBadBackbone()
    {
        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--backbone", "vgg16");

        AssertError(run, ExitCode.BadBackbone, "vgg16");
    }

    [Fact]
    public async Task Train_MissingOnnxBackbone_ExitsNotFound()
    {
        string onnx = Path.Combine(data.Root, "missing.onnx");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--backbone", onnx);

        AssertError(run, ExitCode.NotFound, onnx);
    }

    [Fact]
    public async Task Train_OnnxBackboneWithoutDescriptor_ExitsBadBackbone()
    {
        string onnx = Path.Combine(data.NewFolder("onnx"), "net.onnx");
        File.WriteAllBytes(onnx, [1, 2, 3]);

        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--backbone", onnx);

        AssertError(run, ExitCode.BadBackbone, "net.json");
    }

    [Fact]
    public async Task Train_OnnxBackboneThatIsNotAModel_ExitsBadBackbone()
    {
        string folder = data.NewFolder("bad-onnx");
        string onnx = Path.Combine(folder, "net.onnx");
        File.WriteAllText(onnx, "not a protobuf at all");
        File.WriteAllText(Path.Combine(folder, "net.json"), """{ "name": "Net", "inputName": "x", "outputName": "y", "width": 32, "height": 32, "featureLength": 8 }""");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), "--backbone", onnx);

        AssertError(run, ExitCode.BadBackbone, "net.onnx");
    }

    [Fact]
    public async Task Train_OutIsAFolder_ExitsOutputFailed()
    {
        string folder = data.NewFolder("out-folder");

        var run = await CliRunner.RunAsync("train", data.Train, "--out", folder);

        AssertError(run, ExitCode.OutputFailed, "is a folder");
    }

    [Theory]
    [InlineData("--epochs", "0", "--epochs must be at least 1, was 0.")]
    [InlineData("--test-fraction", "1.5", "--test-fraction must be in [0, 1), was 1.5.")]
    [InlineData("--epochs", "many", "many")]
    [InlineData("--seed", "1.5", "1.5")]
    [InlineData("--fine-tune-layers", "all", "--fine-tune-layers must be stage or block, was \"all\".")]
    [InlineData("--fine-tune-epochs", "0", "--fine-tune-epochs must be at least 1, was 0.")]
    [InlineData("--fine-tune-epochs", "3", "--fine-tune-epochs, --fine-tune-layers and --fine-tune-keep set up fine-tuning; add --fine-tune.")]
    public async Task Train_BadOptionValue_ExitsUsage(string option, string value, string expected)
    {
        var run = await CliRunner.RunAsync("train", data.Train, "--out", Path.Combine(data.Root, "x.zip"), option, value);

        AssertError(run, ExitCode.Usage, expected);
    }

    [Fact]
    public async Task Train_MissingOut_ExitsUsage()
    {
        var run = await CliRunner.RunAsync("train", data.Train);

        AssertError(run, ExitCode.Usage, "--out");
    }

    [Fact]
    public async Task Train_Cancelled_ExitsCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var run = await CliRunner.RunAsync(cancelled.Token, "train", data.Train, "--out", Path.Combine(data.Root, "cancelled.zip"), "--cache", data.NewFolder("cancel-cache"));

        AssertError(run, ExitCode.Cancelled, "Cancelled");
        Assert.False(File.Exists(Path.Combine(data.Root, "cancelled.zip")));
    }

    internal static void AssertError(CliRun run, ExitCode expected, string fragment)
    {
        Assert.True(run.ExitCode == (int)expected, $"expected exit {(int)expected} ({expected}); {run}");
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(fragment, line, StringComparison.Ordinal);
    }
}
