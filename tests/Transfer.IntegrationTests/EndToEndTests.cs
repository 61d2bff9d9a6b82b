using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;

namespace Transfer.IntegrationTests;

/// <summary>Shared trained model for the end-to-end tests: the real ResNet18 on the embedded QuickStart subset.</summary>
public sealed class QuickStartFixture : IAsyncLifetime
{
    public TransferResult Result { get; private set; } = null!;

    public ImageSet Test { get; private set; } = null!;

    public string ModelPath { get; } = Path.Combine(Path.GetTempPath(), $"transfer-it-{Guid.NewGuid():N}.zip");

    public string CacheDirectory { get; } = Path.Combine(Path.GetTempPath(), $"transfer-it-cache-{Guid.NewGuid():N}");

    public async Task InitializeAsync()
    {
        var train = ImageSet.FromDirectory(TestData.QuickStartTrain);
        Test = ImageSet.FromDirectory(TestData.QuickStartTest);
        // No mirrored view: these tests compare the model's features with the featurizer's plain ones (a model with the
        // test-time flip is compared in AccuracyDefaultsTests).
        Result = await TransferPipeline.For(train).WithBackbone(Backbones.Backbones.ResNet18).Augment(AugmentationPolicy.None).CacheBottlenecks(CacheDirectory).TestOn(Test).Build().RunAsync();
        Result.Model.Save(ModelPath);
    }

    public Task DisposeAsync()
    {
        Result.Dispose();
        File.Delete(ModelPath);
        Directory.Delete(CacheDirectory, true);
        return Task.CompletedTask;
    }
}

/// <summary>Train → evaluate → save → load → predict on real images with the real ResNet18.</summary>
public sealed class EndToEndTests(QuickStartFixture fixture) : IClassFixture<QuickStartFixture>
{
    private sealed class PathInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class ImageInput
    {
        [ImageType(28, 28)]
        public MLImage? Image { get; set; }
    }

    private sealed class Output
    {
        public string PredictedLabel { get; set; } = string.Empty;

        public float[] Score { get; set; } = [];

        [VectorType]
        public float[] Features { get; set; } = [];
    }

    [Fact]
    public void RunAsync_QuickStartSubset_ReachesSeventyPercentTestAccuracy()
    {
        var evaluation = fixture.Result.Evaluation!;
        Assert.Equal(200, evaluation.Count);
        Assert.True(evaluation.MicroAccuracy >= 0.70, $"Test micro-accuracy {evaluation.MicroAccuracy:F3} < 0.70.");
        int diagonal = 0;
        for (int i = 0; i < evaluation.Classes.Count; i++)
        {
            diagonal += evaluation.ConfusionMatrix[i, i];
        }

        Assert.Equal(evaluation.MicroAccuracy, diagonal / 200.0, 6);
        Assert.All(evaluation.PerClass, m => Assert.Equal(20, m.Support));
        Assert.Contains("Confusion matrix", evaluation.ToTable(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SecondRunOnSameCache_HitsEveryImageAndGivesTheSameFeatures()
    {
        Assert.Equal(500, fixture.Result.TrainFeatures.Computed);
        var train = ImageSet.FromDirectory(TestData.QuickStartTrain);
        using var again = await TransferPipeline.For(train).WithBackbone(Backbones.Backbones.ResNet18).Augment(AugmentationPolicy.None).CacheBottlenecks(fixture.CacheDirectory).TestOn(fixture.Test).Build().RunAsync();
        Assert.Equal(500, again.TrainFeatures.CacheHits);
        Assert.Equal(0, again.TrainFeatures.Computed);
        Assert.Equal(200, again.TestFeatures!.CacheHits);
        Assert.Equal(fixture.Result.TrainFeatures.Features.Values, again.TrainFeatures.Features.Values);
        Assert.Equal(fixture.Result.Evaluation!.MicroAccuracy, again.Evaluation!.MicroAccuracy, 6);
    }

    [Fact]
    public void SavedModel_PlainMlNetPredictionEngine_MatchesFeaturizerAndHead()
    {
        var ml = new MLContext();
        var loaded = ml.Model.Load(fixture.ModelPath, out var schema);
        Assert.NotNull(schema.GetColumnOrNull("ImagePath"));
        var engine = ml.Model.CreatePredictionEngine<PathInput, Output>(loaded);
        var sample = fixture.Test.Entries.Where((_, i) => i % 10 == 0).ToList(); // 20 images
        var features = fixture.Result.TestFeatures!;
        int d = features.Features.Dimension;
        foreach (var entry in sample)
        {
            int row = IndexOf(features.Images, entry);
            var output = engine.Predict(new PathInput { ImagePath = entry.Path! });
            FeaturizerParityTests.AssertClose(features.Features.Row(row), output.Features, 1e-3f, entry.Name);
            var probabilities = fixture.Result.Model.Head.PredictProbabilities(features.Features.Values.AsSpan(row * d, d).ToArray() is var f ? new FeatureMatrix(f, 1, d, [0], fixture.Result.Model.Classes.Count) : null!);
            for (int k = 0; k < probabilities.Length; k++)
            {
                Assert.True(Math.Abs(probabilities[k] - output.Score[k]) < 1e-3, $"{entry.Name}: score {k} {probabilities[k]} vs ML.NET {output.Score[k]}");
            }

            Assert.Equal(fixture.Result.Model.Classes[ArgMax(probabilities)], output.PredictedLabel);
        }
    }

    [Fact]
    public void LoadedModel_Predictor_GivesSameLabelsAndScoresAsBeforeSaving()
    {
        using var reloaded = TransferModel.Load(fixture.ModelPath);
        Assert.Equal(fixture.Result.Model.Classes, reloaded.Classes);
        using var before = fixture.Result.Model.CreatePredictor();
        using var after = reloaded.CreatePredictor();
        var sample = fixture.Test.Entries.Where((_, i) => i % 10 == 0).Select(e => e.Path!).ToList();
        var p1 = before.PredictBatch(sample);
        var p2 = after.PredictBatch(sample);
        for (int i = 0; i < sample.Count; i++)
        {
            Assert.Equal(p1[i].Label, p2[i].Label);
            for (int k = 0; k < p1[i].Scores.Count; k++)
            {
                Assert.True(Math.Abs(p1[i].Scores[k] - p2[i].Scores[k]) <= 1e-4, $"{sample[i]}: score {k} {p1[i].Scores[k]} vs {p2[i].Scores[k]}");
            }
        }

        // One at a time, from bytes and from a stream, agrees with the batch.
        var single = after.Predict(File.ReadAllBytes(sample[3]));
        Assert.Equal(p2[3].Label, single.Label);
        using var stream = File.OpenRead(sample[4]);
        Assert.Equal(p2[4].Label, after.Predict(stream).Label);
        Assert.Equal(3, single.Top.Count);
        Assert.True(single.Top[0].Score >= single.Top[1].Score);
    }

    [Fact]
    public void SavedModel_WithImageInput_ScoresMlImagesFromBytes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"transfer-it-img-{Guid.NewGuid():N}.zip");
        try
        {
            fixture.Result.Model.Save(path, ScoringInput.Image);
            var ml = new MLContext();
            var loaded = ml.Model.Load(path, out _);
            var engine = ml.Model.CreatePredictionEngine<ImageInput, Output>(loaded);
            using var predictor = fixture.Result.Model.CreatePredictor();
            foreach (var entry in fixture.Test.Entries.Where((_, i) => i % 25 == 0))
            {
                using var image = MLImage.CreateFromStream(new MemoryStream(File.ReadAllBytes(entry.Path!)));
                var output = engine.Predict(new ImageInput { Image = image });
                Assert.Equal(predictor.Predict(entry.Path!).Label, output.PredictedLabel);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task RunAsync_MlpHead_SavesAModelThatPlainMlNetAndPredictorAgreeOn()
    {
        var train = ImageSet.FromDirectory(TestData.QuickStartTrain);
        var head = new NeuralHeadTrainer(new MlpHead(new NeuralHeadOptions { Epochs = 30, LearningRate = 3e-4, EarlyStopping = null, ValidationFraction = 0, AllowNoValidation = true, Seed = 1 }));
        using var result = await TransferPipeline.For(train).WithBackbone(Backbones.Backbones.ResNet18).CacheBottlenecks(fixture.CacheDirectory).TrainHead(head).TestOn(fixture.Test).Build().RunAsync();
        Assert.Equal(0, result.TrainFeatures.Computed); // every vector from the shared cache
        Assert.True(result.Evaluation!.MicroAccuracy >= 0.70, $"MLP head test accuracy {result.Evaluation.MicroAccuracy:F3} < 0.70.");
        Assert.Equal(30, result.Model.Head.History!.Epochs.Count);

        string path = Path.Combine(Path.GetTempPath(), $"transfer-it-mlp-{Guid.NewGuid():N}.zip");
        try
        {
            result.Model.Save(path);
            var ml = new MLContext();
            var engine = ml.Model.CreatePredictionEngine<PathInput, Output>(ml.Model.Load(path, out _));
            using var loaded = TransferModel.Load(path);
            using var predictor = loaded.CreatePredictor();
            using var before = result.Model.CreatePredictor();
            foreach (var entry in fixture.Test.Entries.Where((_, i) => i % 20 == 0))
            {
                var output = engine.Predict(new PathInput { ImagePath = entry.Path! });
                var p = predictor.Predict(entry.Path!);
                var q = before.Predict(entry.Path!);
                Assert.Equal(q.Label, output.PredictedLabel);
                Assert.Equal(q.Label, p.Label);
                for (int k = 0; k < q.Scores.Count; k++)
                {
                    Assert.True(Math.Abs(q.Scores[k] - output.Score[k]) < 1e-3, $"{entry.Name} class {k}: {q.Scores[k]} vs ML.NET {output.Score[k]}");
                    Assert.True(Math.Abs(q.Scores[k] - p.Scores[k]) < 1e-4, $"{entry.Name} class {k}: {q.Scores[k]} vs reloaded {p.Scores[k]}");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DefaultHead_RealResNet18Features_MatchesMlNetLbfgsAccuracyAtLowerObjective()
    {
        var train = fixture.Result.TrainFeatures.Features;
        var test = fixture.Result.TestFeatures!.Features;
        var classes = fixture.Result.TrainFeatures.Classes;
        var ours = new MaximumEntropyHeadTrainer().Train(train, null, classes);
        var mlnet = new MlNetHeadTrainer().Train(train, null, classes);
        double ourAccuracy = Evaluation.Evaluator.Evaluate(ours, test).MicroAccuracy;
        double mlnetAccuracy = Evaluation.Evaluator.Evaluate(mlnet, test).MicroAccuracy;
        Assert.True(ourAccuracy >= mlnetAccuracy - 0.01, $"test accuracy on {test.Count} images: default head {ourAccuracy}, ML.NET LbfgsMaximumEntropy {mlnetAccuracy}");

        var options = new MaximumEntropyHeadOptions();
        double ourObjective = MaximumEntropyHeadTrainer.Objective(train, options, ours);
        double mlnetObjective = MaximumEntropyHeadTrainer.Objective(train, options, mlnet);
        Assert.True(ourObjective <= mlnetObjective * (1 + 1e-5), $"objective: default head {ourObjective}, ML.NET {mlnetObjective}");
    }

    [Fact]
    public async Task Predictor_ConcurrentCalls_AgreeWithSequential()
    {
        using var predictor = fixture.Result.Model.CreatePredictor();
        var paths = fixture.Test.Entries.Take(8).Select(e => e.Path!).ToList();
        var expected = paths.Select(p => predictor.Predict(p).Label).ToList();
        var actual = await Task.WhenAll(paths.Select(p => Task.Run(() => predictor.Predict(p).Label)));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Save_OverExistingFile_ReplacesItAtomicallyAndLeavesNoTempFiles()
    {
        string dir = Directory.CreateTempSubdirectory("transfer-save-").FullName;
        try
        {
            string path = Path.Combine(dir, "model.zip");
            File.WriteAllText(path, "old");
            fixture.Result.Model.Save(path);
            Assert.Single(Directory.GetFiles(dir));
            using var loaded = TransferModel.Load(path);
            Assert.Equal(10, loaded.Classes.Count);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static int IndexOf(IReadOnlyList<ImageEntry> images, ImageEntry entry)
    {
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Path == entry.Path)
            {
                return i;
            }
        }

        throw new InvalidOperationException(entry.Name);
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
