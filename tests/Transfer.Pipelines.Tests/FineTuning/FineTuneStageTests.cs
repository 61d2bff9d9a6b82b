using Transfer.Augmentation;
using Transfer.Core.Tests.FineTuning;
using Transfer.FineTuning;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;
using Transfer.Testing;
using Transfer.Validation;

namespace Transfer.Pipelines.Tests.FineTuning;

/// <summary>The pipeline's fine-tuning stage: its checks in Build(), and a run on a small ResNet.</summary>
public sealed class FineTuneStageTests
{
    private static readonly ImageSet Train = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 10, Width = 24, Height = 24 });

    private static readonly ImageSet Test = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 4, Width = 24, Height = 24, Seed = 2 });

    [Fact]
    public void Build_BadFineTuneOptions_ListsEachPrefixedWithTheStage()
    {
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(Train)
            .FineTune(o => (o.Epochs, o.BatchSize) = (0, 0))
            .Build());

        Assert.Contains("FineTune: Epochs must be at least 1, was 0.", e.Problems);
        Assert.Contains("FineTune: BatchSize must be 1 to 256, was 0.", e.Problems);
    }

    [Fact]
    public void Build_FineTuneWithFromCacheAndInt8_ListsBoth()
    {
        string cache = Path.Combine(Path.GetTempPath(), "transfer-ft-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(cache);
        try
        {
            var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(Train).FromCache(cache).QuantizeBackbone().FineTune().Build());

            Assert.Contains("FineTune runs the backbone's trunk on every image, but FromCache runs it on none; use CacheBottlenecks(folder) instead of FromCache.", e.Problems);
            Assert.Contains("FineTune trains floating-point weights, but the backbone is int8 (QuantizeBackbone or a quantized backbone); fine-tune the floating-point backbone instead.", e.Problems);
        }
        finally
        {
            Directory.Delete(cache, true);
        }
    }

    [Fact]
    public async Task RunAsync_FineTune_SavesTheTunedModelAndReportsBothEvaluations()
    {
        string cache = Path.Combine(Path.GetTempPath(), "transfer-ft-" + Guid.NewGuid().ToString("N"));
        string path = Path.Combine(Path.GetTempPath(), $"transfer-ft-{Guid.NewGuid():N}.zip");
        var stages = new List<PipelineStage>();
        try
        {
            using var result = await TransferPipeline.For(Train)
                .WithBackbone(TinyResNet.MultiStage)
                .TrainHead(new MaximumEntropyHeadTrainer(new MaximumEntropyHeadOptions { L2Regularization = 0.1f, L1Regularization = 0 }))
                .Augment(AugmentationPolicy.Flip)
                .CacheBottlenecks(cache)
                .TestOn(Test)
                .FineTune(o => (o.Epochs, o.BatchSize, o.ValidationFraction, o.KeepFrozenUnlessBetter, o.Threads) = (2, 8, 0.2, false, 1))
                .Build()
                .RunAsync(new Progress(stages));

            Assert.NotNull(result.FineTuning);
            Assert.False(result.FineTuning.Summary.KeptFrozen);
            Assert.Equal(2, result.FineTuning.History.Epochs.Count);
            Assert.Equal("TinyResNet-MS-ft", result.Model.Manifest.Backbone);
            Assert.Equal(Test.Count, result.Evaluation!.Count);
            Assert.Equal(Test.Count, result.FrozenEvaluation!.Count);
            Assert.Equal(result.Evaluation.MicroAccuracy, result.Estimate!.MicroAccuracy);
            Assert.Equal(result.FineTuning.Summary.TrainImages, result.TrainedOnImages); // the tuned head's images, not the frozen head's
            Assert.Contains(PipelineStage.FineTuning, stages);
            result.Model.Save(path);
            using var loaded = TransferModel.Load(path);
            Assert.Equal(result.Model.Manifest.BackboneFingerprint, loaded.Manifest.BackboneFingerprint);
        }
        finally
        {
            File.Delete(path);
            if (Directory.Exists(cache))
            {
                Directory.Delete(cache, true);
            }
        }
    }

    private sealed class Progress(List<PipelineStage> stages) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value)
        {
            lock (stages)
            {
                stages.Add(value.Stage);
            }
        }
    }
}
