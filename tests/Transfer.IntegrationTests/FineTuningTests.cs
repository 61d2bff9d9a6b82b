using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.FineTuning;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.IntegrationTests;

/// <summary>Fine-tuning on the real ResNet18: the cut, the training graph's forward pass, the tuned model.</summary>
public sealed class FineTuningTests
{
    private static readonly ImageSet FewImages = ImageSet.FromEntries(
        [.. ImageSet.FromDirectory(TestData.QuickStartTest).Entries.Where((_, i) => i % 40 == 0)],
        ImageSet.FromDirectory(TestData.QuickStartTest).Classes);

    [Theory]
    [InlineData("resnet18-ms", TunedLayers.LastStage)]
    [InlineData("resnet18", TunedLayers.LastStage)]
    [InlineData("resnet18-ms", TunedLayers.LastBlock)]
    public async Task TrunkThenTrainingGraph_AtStepZero_EqualsTheFrozenBackbonesFeatures(string name, TunedLayers layers)
    {
        var backbone = Backbones.Backbones.ByName(name);
        var split = BackboneSplit.Cut(backbone, layers);
        using var frozenFeaturizer = new Featurizer(backbone);
        using var trunkFeaturizer = new Featurizer(split.Trunk);
        var frozen = (await frozenFeaturizer.FeaturizeAsync(FewImages)).Features;
        var trunk = (await trunkFeaturizer.FeaturizeAsync(FewImages)).Features;
        int n = frozen.Count;
        using var session = new TunedNetworkSession(split.Network(FewImages.Classes.Count), n, Environment.ProcessorCount, training: false);
        split.InitialParameters().CopyTo(session.BackboneParameters, 0);
        trunk.Values.AsSpan(0, n * trunk.Dimension).CopyTo(session.Trunk);
        using var runOptions = new RunOptions();
        session.Forward(n, new int[n], runOptions);

        Assert.Equal(layers == TunedLayers.LastStage ? 256 * 14 * 14 : 512 * 7 * 7, split.InputChannels * split.InputHeight * split.InputWidth);
        Assert.Equal(frozen.Dimension, session.Network.FeatureLength);
        double worst = 0;
        for (int i = 0; i < n * frozen.Dimension; i++)
        {
            worst = Math.Max(worst, Math.Abs(frozen.Values[i] - session.Features[i]));
        }

        // Features are L2-normalised blocks (entries about 0.05) or raw pooled activations (about 1); BatchNorm folding
        // changes the float rounding only.
        double scale = frozen.Values.AsSpan(0, n * frozen.Dimension).ToArray().Max(Math.Abs);
        Assert.True(worst < 1e-4 * scale, $"worst difference {worst} (largest feature {scale})");
    }

    [Fact]
    public async Task TunedModel_SavedAndLoaded_PredictsTheSameAndPlainMlNetScoresIt()
    {
        var all = ImageSet.FromDirectory(TestData.QuickStartTrain);
        var train = ImageSet.FromEntries([.. all.Entries.GroupBy(e => e.Label).SelectMany(g => g.Take(6))], all.Classes);
        var options = new FineTuneOptions { Layers = TunedLayers.LastBlock, Epochs = 1, BatchSize = 16, ValidationFraction = 0.2, KeepFrozenUnlessBetter = false };
        var result = await new FineTuner(options).TuneAsync(Backbones.Backbones.Default, train);
        using var featurizer = new Featurizer(result.Backbone);
        using var model = TransferModel.Create(featurizer, result.Head, options.Describe());
        string path = Path.Combine(Path.GetTempPath(), $"transfer-ft-{Guid.NewGuid():N}.zip");
        try
        {
            model.Save(path);
            using var loaded = TransferModel.Load(path);
            var sample = ImageSet.FromDirectory(TestData.QuickStartTest).Entries.Where((_, i) => i % 20 == 0).ToList();
            using var before = model.CreatePredictor();
            using var after = loaded.CreatePredictor();
            var expected = before.PredictBatch(sample);
            var actual = after.PredictBatch(sample);

            Assert.Equal("ResNet18-MS-ft", loaded.Manifest.Backbone);
            Assert.Equal(result.Backbone.Fingerprint, loaded.Manifest.BackboneFingerprint);
            Assert.NotEqual(Backbones.Backbones.Default.Fingerprint, loaded.Manifest.BackboneFingerprint);
            var ml = new MLContext();
            var engine = ml.Model.CreatePredictionEngine<PathInput, Output>(ml.Model.Load(path, out _));
            for (int i = 0; i < sample.Count; i++)
            {
                Assert.Equal(expected[i].Label, actual[i].Label);
                Assert.Equal(expected[i].Scores, actual[i].Scores);
                var plain = engine.Predict(new PathInput { ImagePath = sample[i].Path! });
                Assert.Equal(expected[i].Label, plain.PredictedLabel);
                for (int k = 0; k < plain.Score.Length; k++)
                {
                    Assert.True(Math.Abs(expected[i].Scores[k] - plain.Score[k]) < 1e-3, $"{sample[i].Name}: score {k} {expected[i].Scores[k]} vs ML.NET {plain.Score[k]}");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class PathInput
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class Output
    {
        public string PredictedLabel { get; set; } = string.Empty;

        public float[] Score { get; set; } = [];
    }
}
