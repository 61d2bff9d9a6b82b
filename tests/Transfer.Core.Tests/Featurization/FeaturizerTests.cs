using Transfer.Featurization;
using Transfer.Testing;

namespace Transfer.Core.Tests.Featurization;

public sealed class FeaturizerTests
{
    private static readonly FeaturizerOptions NoSavedGraphs = new() { OptimizedGraphDirectory = null };

    [Fact]
    public void OnnxModel_IsTheGraphTheBackboneBuildsForThePreprocessing()
    {
        using var featurizer = new Featurizer(TinyBackbone.Default, NoSavedGraphs);

        Assert.Equal(TinyBackbone.Default.BuildFeaturizerModel(NoSavedGraphs.Preprocessing), featurizer.OnnxModel.ToArray());
    }

    [Fact]
    public async Task FeaturizeAsync_DeferredSession_SameFeaturesAsAnEagerOne()
    {
        var images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 2 });
        using var eager = new Featurizer(TinyBackbone.Default, NoSavedGraphs);
        using var deferred = new Featurizer(TinyBackbone.Default, NoSavedGraphs, deferSession: true);

        var expected = await eager.FeaturizeAsync(images);
        var actual = await deferred.FeaturizeAsync(images);

        Assert.Equal(expected.Features.Count, actual.Features.Count);
        Assert.Equal(expected.Features.Values.AsSpan(0, expected.Features.Count * expected.Features.Dimension).ToArray(), actual.Features.Values.AsSpan(0, actual.Features.Count * actual.Features.Dimension).ToArray());
        Assert.Equal(ExecutionProvider.Cpu, deferred.ExecutionProvider);
    }

    [Fact]
    public void New_InvalidOptions_ThrowsBeforeAnySession()
    {
        var e = Assert.Throws<Transfer.Validation.OptionsValidationException>(() => new Featurizer(TinyBackbone.Default, NoSavedGraphs with { BatchSize = 0 }, deferSession: true));

        Assert.Equal(["BatchSize must be in [1, 4096], was 0."], e.Problems);
    }
}
