using Microsoft.Extensions.Logging;
using Transfer.Augmentation;
using Transfer.Featurization;
using Transfer.Testing;

namespace Transfer.Pipelines.Tests;

/// <summary>
/// <see cref="TransferPipelineBuilder.WithLoggerFactory"/> reaches the parts the pipeline drives: their warnings (a corrupt
/// cache segment, a GPU that cannot be used) arrive in the pipeline's logger factory, with the run's stages and head choice.
/// </summary>
public sealed class PipelineLogTests
{
    private const int MissingDevice = 97;

    [Fact]
    public async Task RunAsync_DamagedCacheSegment_QuarantineWarningAndStagesLogged()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6 });
        using var temp = TestData.Temp();
        string cache = Path.Combine(temp.Path, "cache");
        var images = folder.Load();
        await TransferPipeline.For(images).WithBackbone(TinyBackbone.Default).CacheBottlenecks(cache).Build().FeaturizeAsync();
        string segment = Assert.Single(Directory.GetFiles(cache, "*.parquet", SearchOption.AllDirectories));
        byte[] bytes = await File.ReadAllBytesAsync(segment);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(segment, bytes);

        var logs = new CapturingLoggerFactory();
        using var result = await TransferPipeline.For(images).WithBackbone(TinyBackbone.Default).Augment(AugmentationPolicy.None).CacheBottlenecks(cache).WithLoggerFactory(logs).Build().RunAsync();

        Assert.Equal(1, result.CacheStatistics!.CorruptSegments);
        Assert.Equal(images.Count, result.TrainFeatures.Computed); // recomputed
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal("Transfer.Caching.BottleneckCache", warning.Category);
        Assert.StartsWith($"Bottleneck cache segment {segment} is corrupt (", warning.Message, StringComparison.Ordinal);
        Assert.Contains("will be recomputed", warning.Message, StringComparison.Ordinal);

        var pipeline = logs.Entries.Where(e => e.Category == "Transfer.Pipelines.TransferPipeline").Select(e => e.Message).ToList();
        Assert.StartsWith($"Pipeline run: {images.Count} images in 3 classes, backbone {TinyBackbone.Default.Name}", pipeline[0], StringComparison.Ordinal);
        Assert.Equal(["Stage featurize started.", "Stage train_head started."], pipeline.Where(m => m.EndsWith("started.", StringComparison.Ordinal)));
        Assert.Equal(2, pipeline.Count(m => m.StartsWith("Stage ", StringComparison.Ordinal) && m.Contains(" finished in ", StringComparison.Ordinal)));
        Assert.StartsWith("Pipeline run finished in ", pipeline[^1], StringComparison.Ordinal);
        var chosen = Assert.Single(logs.Entries, e => e.Category == "Transfer.Heads.AutoHeadTrainer");
        Assert.StartsWith($"Head chosen: {result.HeadSelection!.Candidates.Single(c => c.Chosen).Name} (cross-validated log-loss ", chosen.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CudaUnavailable_FallbackWarningInThePipelineLogger()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 4 });
        var logs = new CapturingLoggerFactory();
        var featurizer = new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(MissingDevice), OptimizedGraphDirectory = null };

        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().WithFeaturizer(featurizer).Augment(AugmentationPolicy.None).TestFraction(0).WithLoggerFactory(logs).Build().RunAsync();

        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Equal("Transfer.ExecutionProvider", warning.Category);
        Assert.StartsWith($"CUDA:{MissingDevice} was asked for but cannot be used, so ONNX Runtime runs on the CPU.", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FeaturizerHasItsOwnLogger_ItWinsOverThePipelines()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 4 });
        var own = new CapturingLoggerFactory();
        var pipelineLogs = new CapturingLoggerFactory();
        var featurizer = new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(MissingDevice), OptimizedGraphDirectory = null, LoggerFactory = own };

        var pipeline = TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().WithFeaturizer(featurizer).Augment(AugmentationPolicy.None).TestFraction(0).WithLoggerFactory(pipelineLogs).Build();
        using var result = await pipeline.RunAsync();

        Assert.Same(own, pipeline.FeaturizerOptions.LoggerFactory);
        Assert.Single(own.Warnings);
        Assert.Empty(pipelineLogs.Warnings);
        Assert.Contains(pipelineLogs.Entries, e => e.Message == "Stage featurize started.");
    }
}
