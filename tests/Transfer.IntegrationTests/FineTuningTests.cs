using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.FineTuning;
using Transfer.Images;

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
}
