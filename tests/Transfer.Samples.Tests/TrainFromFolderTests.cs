using System.Text.Json;
using Transfer.Models;

namespace Transfer.Samples.Tests;

/// <summary>The TrainFromFolder sample, run as a program on real images with the real ResNet18.</summary>
[Collection(SamplesGroup.Name)]
public sealed class TrainFromFolderTests
{
    [Fact]
    public async Task TrainFromFolder_ThreeClassFolder_WritesModelMetricsAndTable()
    {
        string dir = TestData.NewTempDirectory("transfer-train-from-folder");
        try
        {
            string images = Path.Combine(dir, "images");
            foreach (var (label, path) in TestData.FirstImages(TestData.QuickStartTrain, 8).Where(i => i.Label is "Bag" or "Sneaker" or "Trouser"))
            {
                Directory.CreateDirectory(Path.Combine(images, label));
                File.Copy(path, Path.Combine(images, label, Path.GetFileName(path)));
            }

            string modelPath = Path.Combine(dir, "out", "clothes.zip");

            var result = await SampleProcess.RunAsync("TrainFromFolder", [images, "--out", modelPath, "--test-fraction", "0.25"]);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("24 images in 3 classes", result.Output, StringComparison.Ordinal);
            Assert.Contains("Featurizing train images", result.Output, StringComparison.Ordinal);
            Assert.Contains("Test metrics", result.Output, StringComparison.Ordinal);
            Assert.Contains("micro-accuracy", result.Output, StringComparison.Ordinal);
            Assert.Contains($"Model: {modelPath}", result.Output, StringComparison.Ordinal);
            using (var model = TransferModel.Load(modelPath))
            {
                Assert.Equal(["Bag", "Sneaker", "Trouser"], model.Classes);
            }

            string metricsPath = Path.Combine(dir, "out", "clothes.metrics.json");
            Assert.Contains($"Metrics: {metricsPath}", result.Output, StringComparison.Ordinal);
            using var metrics = JsonDocument.Parse(await File.ReadAllTextAsync(metricsPath));
            var root = metrics.RootElement;
            Assert.Equal(modelPath, root.GetProperty("model").GetString());
            Assert.Equal(6, root.GetProperty("testImages").GetInt32());
            Assert.Equal(18, root.GetProperty("trainImages").GetInt32());
            Assert.InRange(root.GetProperty("microAccuracy").GetDouble(), 0, 1);
            Assert.Equal(3, root.GetProperty("perClass").GetArrayLength());
            var confusion = root.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Sum(v => v.GetInt32())).ToArray();
            Assert.Equal([2, 2, 2], confusion);
            // Bag, sneaker and trouser are far apart for ResNet18 features: a working pipeline gets most of them.
            Assert.True(root.GetProperty("microAccuracy").GetDouble() >= 0.5, metrics.RootElement.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TrainFromFolder_MissingFolder_ExitsNonZeroWithOneLineError()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-folder-{Guid.NewGuid():N}");

        var result = await SampleProcess.RunAsync("TrainFromFolder", [missing]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"error: Image folder \"{missing}\" does not exist. Pass a folder that holds one sub-folder per class.", result.Error.Trim());
    }

    [Fact]
    public async Task TrainFromFolder_NoClassFolders_ExitsNonZeroWithOneLineError()
    {
        string dir = TestData.NewTempDirectory("transfer-empty");
        try
        {
            var result = await SampleProcess.RunAsync("TrainFromFolder", [dir]);

            Assert.True(result.ExitCode == 1, result.ToString());
            string error = result.Error.Trim();
            Assert.DoesNotContain('\n', error);
            Assert.StartsWith($"error: Image folder \"{dir}\" has no class sub-folders.", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TrainFromFolder_OneClass_ExitsNonZeroAskingForTwo()
    {
        string dir = TestData.NewTempDirectory("transfer-one-class");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "Bag"));
            foreach (var (_, path) in TestData.FirstImages(TestData.QuickStartTrain, 3).Where(i => i.Label == "Bag"))
            {
                File.Copy(path, Path.Combine(dir, "Bag", Path.GetFileName(path)));
            }

            var result = await SampleProcess.RunAsync("TrainFromFolder", [dir]);

            Assert.True(result.ExitCode == 1, result.ToString());
            string error = result.Error.Trim();
            Assert.DoesNotContain('\n', error);
            Assert.StartsWith("error: ", error, StringComparison.Ordinal);
            Assert.Contains("a classifier needs at least two", error, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(dir, "model.zip")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "--head", "svm", "x" }, "error: Option --head must be auto, lbfgs, sdca, lightgbm, softmax or mlp, was \"svm\".")]
    [InlineData(new[] { "x", "--test-fraction", "1.5" }, "error: Option --test-fraction must be a number in [0, 1), was \"1.5\".")]
    [InlineData(new string[0], "error: Pass the image folder (one sub-folder of images per class).")]
    [InlineData(new[] { "x", "--out" }, "error: Option --out needs a value.")]
    public async Task TrainFromFolder_BadArguments_ExitsTwoWithUsage(string[] args, string expected)
    {
        var result = await SampleProcess.RunAsync("TrainFromFolder", args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith(expected + " Usage: TrainFromFolder <folder>", result.Error.Trim(), StringComparison.Ordinal);
    }
}
