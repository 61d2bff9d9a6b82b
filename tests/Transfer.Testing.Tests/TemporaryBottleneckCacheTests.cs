using Transfer.Featurization;
using Transfer.Pipelines;

namespace Transfer.Testing.Tests;

public sealed class TemporaryBottleneckCacheTests
{
    [Fact]
    public async Task CacheBottlenecks_SecondRun_HitsEveryImageAndGivesTheSameFeatures()
    {
        var images = SyntheticImages.InMemory();
        using var cache = new TemporaryBottleneckCache();
        Assert.Equal(0, cache.SegmentCount);
        using var first = await TransferPipeline.For(images).WithBackbone(TinyBackbone.Default).CacheBottlenecks(cache.Directory).TestFraction(0.25).Build().RunAsync();
        Assert.Equal(18, first.TrainFeatures.Computed);
        Assert.True(cache.SegmentCount > 0, "The first run wrote no segment to the cache.");
        using var second = await TransferPipeline.For(images).WithBackbone(TinyBackbone.Default).CacheBottlenecks(cache.Directory).TestFraction(0.25).Build().RunAsync();
        Assert.Equal(0, second.TrainFeatures.Computed);
        Assert.Equal(18, second.TrainFeatures.CacheHits);
        Assert.Equal(6, second.TestFeatures!.CacheHits);
        Assert.Equal(first.TrainFeatures.Features.Values, second.TrainFeatures.Features.Values);
    }

    [Fact]
    public async Task Open_WithFeaturizer_StoresAndDisposeDeletesEverything()
    {
        var cache = new TemporaryBottleneckCache();
        var open = cache.Open();
        using (var featurizer = new Featurizer(TinyBackbone.Default))
        {
            var store = open.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
            var result = await featurizer.FeaturizeAsync(SyntheticImages.InMemory(), store);
            Assert.Equal(24, result.Computed);
            open.Flush();
        }

        Assert.True(cache.SegmentCount > 0);
        cache.Dispose();
        Assert.False(Directory.Exists(cache.Directory));
        Assert.Throws<ObjectDisposedException>(() => cache.Open());
    }
}
