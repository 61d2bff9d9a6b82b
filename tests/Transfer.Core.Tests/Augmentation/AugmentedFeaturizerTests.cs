using Transfer.Augmentation;
using Transfer.Featurization;
using Transfer.Testing;

namespace Transfer.Core.Tests.Augmentation;

/// <summary><see cref="FeaturizerOptions.View"/> on the tiny backbone: the seed comes from the content hash on both featurization paths.</summary>
public sealed class AugmentedFeaturizerTests
{
    [Fact]
    public async Task FeaturizeAsync_RandomViewWithoutStore_EqualsWithStoreAndDiffersFromPlain()
    {
        var images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 4 });
        var viewOptions = new FeaturizerOptions { View = AugmentationView.Jitter(1, flip: true), OptimizedGraphDirectory = null };
        using var plain = new Featurizer(TinyBackbone.Default, new FeaturizerOptions { OptimizedGraphDirectory = null });
        using var viewed = new Featurizer(TinyBackbone.Default, viewOptions);
        using var temporary = new TemporaryBottleneckCache();
        var store = temporary.Open().GetStore(viewed.FeatureSpaceKey, viewed.FeatureLength);

        var withoutStore = await viewed.FeaturizeAsync(images); // hashes each image itself
        var withStore = await viewed.FeaturizeAsync(images, store); // reuses the cache's hashes
        var plainFeatures = await plain.FeaturizeAsync(images);

        Assert.Equal(images.Count, withStore.Computed);
        Assert.Equal(withoutStore.Features.Values, withStore.Features.Values);
        for (int i = 0; i < images.Count; i++)
        {
            Assert.False(plainFeatures.Features.Row(i).SequenceEqual(withStore.Features.Row(i)), $"image {i}: the view changed nothing.");
        }
    }
}
