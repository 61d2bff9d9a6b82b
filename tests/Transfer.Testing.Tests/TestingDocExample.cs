using Transfer.Pipelines;
using Transfer.Testing;
using Xunit;

namespace MyApp.Tests;

public sealed class ClassifierPipelineTests
{
    [Fact]
    public async Task Pipeline_OnSyntheticShapes_LearnsThemAndReloadsTheSame()
    {
        // 1. Labelled images in memory: a red circle, a green square and a blue triangle, 10 PNGs of 32×32 each.
        var images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 10 });
        using var cache = new TemporaryBottleneckCache();

        // 2. The pipeline your app builds, on the tiny backbone instead of ResNet18.
        using var result = await TransferPipeline.For(images)
            .WithBackbone(TinyBackbone.Default)
            .CacheBottlenecks(cache.Directory)
            .TestFraction(0.3, seed: 7)
            .Build()
            .RunAsync();

        // 3. It learned the classes, and the model saved to a zip and loaded back predicts the same.
        TransferAssert.AccuracyAtLeast(result.Evaluation, 0.9);
        TransferAssert.SavedAndReloadedPredictsSame(result.Model, images);
    }
}
