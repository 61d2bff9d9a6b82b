using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Models;
using Transfer.Testing;

namespace Transfer.Core.Tests.Models;

/// <summary><c>TransferModel.Create</c>, the static extension that makes a model from a featurizer and a head.</summary>
public sealed class TransferModelTrainingTests
{
    private static readonly FeaturizerOptions NoSavedGraphs = new() { OptimizedGraphDirectory = null };

    [Fact]
    public async Task Create_FromAFeaturizer_RecordsBackbonePreprocessingHeadAndTestTimeFlip()
    {
        var images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 3 });
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        var features = await featurizer.FeaturizeAsync(images);
        var trainer = new MaximumEntropyHeadTrainer();
        var head = trainer.Train(features.Features, null, features.Classes);

        using var model = TransferModel.Create(featurizer, head, trainer.Describe(), TestTimeAugmentation.HorizontalFlip);

        Assert.Equal(features.Classes, model.Classes);
        Assert.Equal(TinyBackbone.Default.Fingerprint, model.Manifest.BackboneFingerprint);
        Assert.Equal(NoSavedGraphs.Preprocessing.CanonicalKey(), model.Manifest.Preprocessing);
        Assert.Equal(trainer.Describe(), model.Manifest.HeadDescription);
        Assert.Equal(TestTimeAugmentation.HorizontalFlip, model.Manifest.TestTimeAugmentation);
        Assert.Same(head, model.Head);
    }

    [Fact]
    public async Task Create_HeadOfAnotherFeatureLength_ThrowsNamingBoth()
    {
        var images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 3 });
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        var features = await featurizer.FeaturizeAsync(images);
        var wider = new FeatureMatrix(new float[features.Features.Count * 3], features.Features.Count, 3, features.Features.Labels, features.Features.ClassCount);
        var head = new MaximumEntropyHeadTrainer().Train(wider, null, features.Classes);

        var e = Assert.Throws<ArgumentException>(() => TransferModel.Create(featurizer, head, "lbfgs"));

        Assert.StartsWith($"The head expects 3 features but the featurizer gives {featurizer.FeatureLength}.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UndefinedTestTimeAugmentation_Throws()
    {
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs, deferSession: true);

        var e = Assert.Throws<ArgumentException>(() => TransferModel.Create(featurizer, null!, "x", (TestTimeAugmentation)7));

        Assert.Equal("testTimeAugmentation", e.ParamName);
    }
}
