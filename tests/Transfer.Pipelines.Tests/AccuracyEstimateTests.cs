using Transfer.Augmentation;
using Transfer.Evaluation;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Pipelines;
using Transfer.Testing;
using Transfer.Validation;

namespace Transfer.Pipelines.Tests;

// How a run estimates accuracy and what the saved model is trained on; the real pipeline on the tiny backbone.
public sealed class AccuracyEstimateTests
{
    [Fact]
    public async Task RunAsync_NoTestSet_CrossValidatesAndTrainsTheSavedHeadOnEveryImage()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 8 });
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().Build().RunAsync();
        var estimate = result.Estimate!;
        Assert.Equal((AccuracyEstimate.CrossValidated, 24, 5), (estimate.Method, estimate.Images, estimate.Folds));
        Assert.NotNull(estimate.StandardDeviation);
        Assert.Equal(24, result.TrainedOnImages);
        Assert.Equal(24, result.Evaluation!.Count); // every image scored once, out of fold
        Assert.Equal(estimate.MicroAccuracy, result.Evaluation.MicroAccuracy);
        Assert.NotNull(result.HeadSelection);
        Assert.Single(result.HeadSelection.Candidates, c => c.Chosen);
        TransferAssert.AccuracyAtLeast(result.Evaluation, 0.9);
    }

    [Fact]
    public async Task RunAsync_TestFraction_EstimatesOnTheHoldOutThenTrainsOnEveryImage()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 8 });
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TestFraction(0.25).Build().RunAsync();
        Assert.Equal((AccuracyEstimate.Holdout, 6), (result.Estimate!.Method, result.Estimate.Images));
        Assert.Null(result.Estimate.Folds);
        Assert.Equal(6, result.Evaluation!.Count);
        Assert.Equal(24, result.TrainedOnImages);
    }

    [Fact]
    public async Task RunAsync_TestSet_EstimatesOnItAndTrainsOnTheTrainingImagesOnly()
    {
        using var train = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6, Seed = 1 });
        using var test = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 3, Seed = 2 });
        using var result = await TransferPipeline.For(train.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TestOn(test.Load()).Build().RunAsync();
        Assert.Equal((AccuracyEstimate.Test, 9), (result.Estimate!.Method, result.Estimate.Images));
        Assert.Equal(18, result.TrainedOnImages);
    }

    [Fact]
    public async Task RunAsync_TestFractionZero_NoEstimateAndEveryImageTrained()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 5 });
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TrainHead(new MaximumEntropyHeadTrainer()).TestFraction(0).Build().RunAsync();
        Assert.Null(result.Estimate);
        Assert.Null(result.Evaluation);
        Assert.Null(result.HeadSelection);
        Assert.Equal(15, result.TrainedOnImages);
    }

    [Fact]
    public async Task RunAsync_PinnedHeadCrossValidated_EstimateFromFoldsOfThatHead()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6 });
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TrainHead(new MaximumEntropyHeadTrainer()).CrossValidate(3, seed: 7).Build().RunAsync();
        Assert.Equal((AccuracyEstimate.CrossValidated, 3, 18), (result.Estimate!.Method, result.Estimate.Folds, result.TrainedOnImages));
        Assert.Null(result.HeadSelection);
        Assert.Equal("lbfgs", result.Model.Manifest.Head);
    }

    [Fact]
    public async Task RunAsync_AugmentFlipTwiceOnOneCache_ViewsAreComputedOnceThenHit()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6 });
        using var cache = TestData.Temp();
        using var first = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).CacheBottlenecks(cache.Path).Augment(AugmentationPolicy.Flip).Build().RunAsync();
        using var second = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).CacheBottlenecks(cache.Path).Augment(AugmentationPolicy.Flip).Build().RunAsync();
        Assert.Equal(1, first.AugmentedViews);
        Assert.Equal(36, first.CacheStatistics!.Misses); // 18 plain + 18 flipped
        Assert.Equal((0, 36), (second.CacheStatistics!.Misses, second.CacheStatistics.Hits));
        Assert.Equal(18, second.TrainedOnImages);
        TransferAssert.PredictSame(first.Model, second.Model, folder.Load());
    }

    [Fact]
    public void Build_BadFoldsAndAugmentation_ListsEachProblem()
    {
        var images = ImageSet.FromEntries([ImageEntry.FromBytes(new byte[] { 1 }, "a", "a1"), ImageEntry.FromBytes(new byte[] { 2 }, "b", "b1")]);
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(images).CrossValidate(1).Augment((AugmentationPolicy)9).Build());
        Assert.Contains("CrossValidate: folds must be at least 2, was 1.", e.Message);
        Assert.Contains("Augment: 9 is not an augmentation policy; use None, Flip, Standard or Auto.", e.Message);

        var pinned = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(images).TrainHead(new MaximumEntropyHeadTrainer()).Augment(AugmentationPolicy.Auto).Build());
        Assert.Contains("Augment(Auto) decides by the automatic head's cross-validation, but a head was pinned; pin Flip or Standard instead, or leave the head to the automatic choice.", pinned.Message);
    }

    [Fact]
    public void Build_Defaults_AutomaticHeadAndFiveFoldEstimate()
    {
        var images = ImageSet.FromEntries([ImageEntry.FromBytes(new byte[] { 1 }, "a", "a1"), ImageEntry.FromBytes(new byte[] { 2 }, "b", "b1")]);
        var pipeline = TransferPipeline.For(images).Build();
        Assert.IsType<AutoHeadTrainer>(pipeline.Head);
        Assert.Equal((5, 0.0, AugmentationPolicy.Auto), (pipeline.CrossValidationFolds, pipeline.TestFractionValue, pipeline.Augmentation));
        var holdout = TransferPipeline.For(images).TestFraction(0.2).Build();
        Assert.Equal((0, 0.2), (holdout.CrossValidationFolds, holdout.TestFractionValue));
    }

    [Fact]
    public void Build_PinnedHeadOrFromCache_NoAugmentationByDefault()
    {
        var images = ImageSet.FromEntries([ImageEntry.FromBytes(new byte[] { 1 }, "a", "a1"), ImageEntry.FromBytes(new byte[] { 2 }, "b", "b1")]);
        Assert.Equal(AugmentationPolicy.None, TransferPipeline.For(images).TrainHead(new MaximumEntropyHeadTrainer()).Build().Augmentation);
        Assert.Equal(AugmentationPolicy.None, TransferPipeline.For(images).TrainHead(o => o.Epochs = 2).Build().Augmentation);
        var cache = Directory.CreateTempSubdirectory("transfer-fromcache-");
        try
        {
            Assert.Equal(AugmentationPolicy.None, TransferPipeline.For(images).FromCache(cache.FullName).Build().Augmentation);
        }
        finally
        {
            cache.Delete(recursive: true);
        }

        var error = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(images).TrainHead(o => o.Epochs = 2).Augment(AugmentationPolicy.Auto).Build());
        Assert.Contains("Augment(Auto)", error.Message, StringComparison.Ordinal);
    }
}
