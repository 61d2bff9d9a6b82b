using System.Text.RegularExpressions;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Pipelines;
using Transfer.Testing;
using Transfer.Validation;

namespace Transfer.Pipelines.Tests;

public sealed class TransferPipelineBuilderTests
{
    private static ImageSet TwoClasses() => ImageSet.FromEntries(
    [
        ImageEntry.FromBytes(new byte[] { 1 }, "a", "a1"),
        ImageEntry.FromBytes(new byte[] { 2 }, "b", "b1"),
    ]);

    [Fact]
    public void Build_SeveralProblems_ListsEveryOneInOneException()
    {
        var single = ImageSet.FromEntries([ImageEntry.FromBytes(new byte[] { 1 }, "a", "a1")]);
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(single)
            .TestFraction(1.5)
            .WithFeaturizer(new FeaturizerOptions { BatchSize = 0, IntraOpThreads = -1 })
            .Build());
        Assert.StartsWith("Invalid pipeline / Validation Errors:", e.Message, StringComparison.Ordinal);
        Assert.Contains("a classifier needs at least two", e.Message, StringComparison.Ordinal);
        Assert.Contains("TestFraction must be in [0, 1), was 1.5.", e.Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize must be in [1, 4096], was 0.", e.Message, StringComparison.Ordinal);
        Assert.Contains("IntraOpThreads must be 0 (one per core) or more, was -1.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_HeadCacheAndSplitProblems_ListsEachExactly()
    {
        var single = ImageSet.FromEntries([ImageEntry.FromBytes(new byte[] { 1 }, "a", "a1")]);
        string missing = Path.Combine(Path.GetTempPath(), "transfer-no-such-cache-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(single)
            .TestFraction(1.5)
            .TrainHead(o => { o.Epochs = 0; o.Dropout = 1; })
            .FromCache(missing)
            .Build());
        Assert.Equal(
            string.Join(Environment.NewLine, [
                "Invalid pipeline / Validation Errors:",
                "- The image set has 1 class(es) (a); a classifier needs at least two. Add a folder of images for each class.",
                "- TestFraction must be in [0, 1), was 1.5.",
                "- TrainHead: Epochs must be at least 1, was 0.",
                "- TrainHead: Dropout must be in [0, 1), was 1.",
                $"- FromCache: the cache folder \"{missing}\" does not exist. Fill it first with CacheBottlenecks(folder), or FeaturizeAsync.",
            ]),
            e.Message);
    }

    [Fact]
    public void Build_FromCacheWithoutCache_IsRejected()
    {
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(TwoClasses()).FromCache(Path.GetTempPath()).WithoutBottleneckCache().Build());
        Assert.Equal($"Invalid pipeline / Validation Errors:{Environment.NewLine}- FromCache and WithoutBottleneckCache exclude each other; remove one.", e.Message);
    }

    [Fact]
    public void Build_TrainHeadOptions_BuildsSoftmaxOrMlp()
    {
        Assert.Equal("softmax", TransferPipeline.For(TwoClasses()).WithoutBottleneckCache().TrainHead(o => o.HiddenLayers = []).Build().Head.Name);
        Assert.Equal("mlp", TransferPipeline.For(TwoClasses()).WithoutBottleneckCache().TrainHead(o => o.Epochs = 3).Build().Head.Name);
        Assert.Equal("auto", TransferPipeline.For(TwoClasses()).WithoutBottleneckCache().Build().Head.Name);
    }

    [Fact]
    public void Build_TwiceOnOneBuilder_Throws()
    {
        var builder = TransferPipeline.For(TwoClasses()).WithoutBottleneckCache();
        builder.Build();
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    [Fact]
    public void Build_TestSetWithUnknownClass_IsRejected()
    {
        var test = ImageSet.FromEntries([ImageEntry.FromBytes(new byte[] { 3 }, "zebra", "z1")]);
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(TwoClasses()).TestOn(test).Build());
        Assert.Contains("zebra", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Defaults_UseResNet18MultiStageAndCacheBesideFolder()
    {
        string root = Directory.CreateTempSubdirectory("transfer-builder-").FullName;
        try
        {
            foreach (var c in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(root, c));
                File.WriteAllBytes(Path.Combine(root, c, "x.png"), [1]);
            }

            var pipeline = TransferPipeline.For(ImageSet.FromDirectory(root)).Build();
            Assert.Equal("ResNet18-MS", pipeline.Backbone.Name);
            Assert.Equal(Path.Combine(root, ".bottlenecks"), pipeline.CacheDirectory);
            Assert.Null(TransferPipeline.For(ImageSet.FromDirectory(root)).WithoutBottleneckCache().Build().CacheDirectory);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    // The runs below are the real pipeline (decode, featurize, cache, head, evaluate, save, load, predict) on the tiny
    // backbone from Transfer.Testing: milliseconds per stage. The same paths on the real ResNet18 are in Transfer.IntegrationTests.

    [Fact]
    public async Task RunAsync_TinyBackboneOnAFolder_TrainsEvaluatesAndSavesAModelThatReloadsTheSame()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 8 });
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).TestFraction(0.25).Build().RunAsync();
        Assert.Equal(["circle", "square", "triangle"], result.Model.Classes);
        Assert.Equal(18, result.TrainFeatures.Computed);
        Assert.Equal(6, result.Evaluation!.Count);
        Assert.True(Directory.Exists(Path.Combine(folder.Directory, ".bottlenecks")), "The default cache beside the image folder was not written.");
        TransferAssert.AccuracyAtLeast(result.Evaluation, 0.9);
        TransferAssert.SavedAndReloadedPredictsSame(result.Model, folder.Load());
    }

    [Fact]
    public async Task RunAsync_SecondRunOnTheDefaultCache_ComputesNothingAndGivesTheSameModel()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6 });
        using var first = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).TestFraction(0).Build().RunAsync();
        using var second = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).TestFraction(0).Build().RunAsync();
        Assert.Equal(18, first.TrainFeatures.Computed);
        Assert.Equal((0, 18), (second.TrainFeatures.Computed, second.TrainFeatures.CacheHits));
        TransferAssert.PredictSame(first.Model, second.Model, folder.Load());
    }

    [Fact]
    public async Task RunAsync_EveryVectorCached_NeverStartsTheBackboneSession()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6 });
        using var first = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).TestFraction(0).Build().RunAsync();

        // A GPU that must not fall back fails at session creation wherever CUDA is missing; a fully cached rerun needs no session.
        var gpuOnly = new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(0, GpuFallback.Fail), OptimizedGraphDirectory = null };
        using var second = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithFeaturizer(gpuOnly).TestFraction(0).Build().RunAsync();
        Assert.Equal((0, 18), (second.TrainFeatures.Computed, second.TrainFeatures.CacheHits));
        TransferAssert.PredictSame(first.Model, second.Model, folder.Load());
    }

    [Theory]
    [InlineData("prototype")]
    [InlineData("knn")]
    public async Task RunAsync_SimilarityHead_SavesAModelThatPlainMlNetAndPredictorAgreeOn(string name)
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6 });
        HeadTrainer head = name == "knn" ? new NearestNeighborHeadTrainer() : new PrototypeHeadTrainer();
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TrainHead(head).CrossValidate().Build().RunAsync();
        Assert.Equal(name, result.Model.Head.TrainerName);
        TransferAssert.AccuracyAtLeast(result.Evaluation, 0.8);
        TransferAssert.SavedAndReloadedPredictsSame(result.Model, folder.Load());
    }

    [Fact]
    public async Task RunAsync_SoftmaxHead_SavesAModelThatPlainMlNetAndPredictorAgreeOn()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 10 });
        var head = new NeuralHeadTrainer(new SoftmaxHead(new NeuralHeadOptions { Epochs = 40, LearningRate = 1e-2, EarlyStopping = null, ValidationFraction = 0, AllowNoValidation = true, Seed = 1 }));
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TrainHead(head).TestFraction(0.3).Build().RunAsync();
        Assert.Equal(40, result.Model.Head.History!.Epochs.Count);
        TransferAssert.AccuracyAtLeast(result.Evaluation, 0.9);
        TransferAssert.SavedAndReloadedPredictsSame(result.Model, folder.Load());
    }

    [Fact]
    public async Task RunAsync_SkipPolicy_LeavesOutTheBrokenFilesAndListsThem()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6 });
        string truncated = folder.AddBroken(BrokenImageKind.Truncated, "square");
        string text = folder.AddBroken(BrokenImageKind.NotAnImage, "circle", "notes.jpg");
        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache()
            .WithFeaturizer(new FeaturizerOptions { BadImagePolicy = BadImagePolicy.Skip }).TestFraction(0).Build().RunAsync();
        Assert.Equal(18, result.TrainFeatures.Features.Count);
        Assert.Equal(2, result.Skipped.Count);
        Assert.Contains(result.Skipped, s => s.Source == truncated && s.Reason.Contains("truncated", StringComparison.Ordinal));
        Assert.Contains(result.Skipped, s => s.Source == text && s.Reason.Contains("not a recognised image format", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_FailPolicy_ThrowsNamingTheBrokenFile()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 4 });
        string empty = folder.AddBroken(BrokenImageKind.ZeroBytes, "triangle");
        var pipeline = TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().Build();
        var e = await Assert.ThrowsAsync<InvalidImageException>(() => pipeline.RunAsync());
        Assert.Equal($"Image \"{empty}\" could not be used: the file is empty (0 bytes).", e.Message);
    }

    [Fact]
    public async Task RunAsync_CancelledToken_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var pipeline = TransferPipeline.For(SyntheticImages.InMemory()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().Build();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.RunAsync(null, cts.Token));
    }

    [Fact]
    public async Task RunAsync_Progress_ReportsEveryStageInOrder()
    {
        var stages = new List<PipelineStage>();
        var progress = new InlineProgress<PipelineProgress>(p =>
        {
            lock (stages)
            {
                if (stages.Count == 0 || stages[^1] != p.Stage)
                {
                    stages.Add(p.Stage);
                }
            }
        });
        using var result = await TransferPipeline.For(SyntheticImages.InMemory()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().Build().RunAsync(progress);
        Assert.Equal([PipelineStage.Featurizing, PipelineStage.TrainingHead, PipelineStage.Evaluating, PipelineStage.Done], stages);
    }

    [Fact]
    public void Build_WriteReportWithoutEvaluation_SaysHowToAddATestSet()
    {
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(TwoClasses()).TestFraction(0).WriteReport("r.html").Build());
        Assert.Equal(
            $"Invalid pipeline / Validation Errors:{Environment.NewLine}- WriteReport needs an evaluation, but there is no test set (TestFraction is 0). Call Evaluate(testImages) or Evaluate(fraction) with a fraction above 0.",
            e.Message);
    }

    [Fact]
    public async Task RunAsync_WriteReport_WritesTheHtmlWithTheAuditAndTheManifest()
    {
        using var trainFolder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 8 });
        using var testFolder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 3, Seed = 7 });
        var train = trainFolder.Load();
        var test = testFolder.Load();
        // Leak one training image into the test set (same bytes, another name): the audit must report it.
        var leaked = train.Entries[0];
        File.Copy(leaked.Path!, Path.Combine(Path.GetDirectoryName(test.Entries.First(t => t.Label == leaked.Label).Path!)!, "copy-of-train.png"));
        test = testFolder.Load();
        string report = Path.Combine(trainFolder.Directory, "out", "run.report.html");

        using var result = await TransferPipeline.For(train).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache()
            .Evaluate(test).WriteReport(report).Build().RunAsync();

        Assert.NotNull(result.Report);
        string html = File.ReadAllText(report);
        Assert.Contains("copy-of-train.png", html, StringComparison.Ordinal);
        Assert.Contains(TinyBackbone.Default.Fingerprint, html, StringComparison.Ordinal);
        Assert.Single(result.Report.Dataset!.Leaks!);
        Assert.True(File.Exists(Path.Combine(trainFolder.Directory, "out", "run.report.manifest.json")));
        Assert.Contains("Micro-accuracy", result.Report.ToMarkdown(), StringComparison.OrdinalIgnoreCase);

        // The automatic head's out-of-fold probabilities judge the training labels, and each top loss shows its nearest training images.
        var labels = result.Report.Dataset.LabelAudit;
        Assert.NotNull(labels);
        Assert.Equal((train.Count, result.HeadSelection!.Folds), (labels.Images, labels.Folds));
        Assert.Equal(result.HeadSelection.ChosenCrossValidation.Evaluation.MicroAccuracy, labels.OutOfFoldAccuracy, 6);
        Assert.Contains("id=\"label-audit\"", html, StringComparison.Ordinal);
        Assert.Equal(result.Report.TopLosses.Count * 3, Regex.Count(html, "<div class=\"neighbor\""));
    }

    [Fact]
    public async Task RunAsync_QuantizeBackbone_FeaturizesWithAnInt8BackboneStoredInTheModel()
    {
        using var folder = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 12 });

        using var result = await TransferPipeline.For(folder.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache()
            .QuantizeBackbone().TestFraction(0.25).Build().RunAsync();

        Assert.NotNull(result.Model.Manifest.BackboneQuantization);
        Assert.InRange(result.Evaluation!.MicroAccuracy, 0.6, 1.0);
    }

    [Fact]
    public void Build_QuantizeWithOtherPreprocessing_SaysToUseThePipelines()
    {
        var e = Assert.Throws<OptionsValidationException>(() => TransferPipeline.For(TwoClasses())
            .WithPreprocessing(ImagePreprocessing.Default with { ResizeMode = ResizeMode.CenterCrop })
            .QuantizeBackbone(new Backbones.Quantization.QuantizationOptions())
            .Build());
        Assert.Equal(
            $"Invalid pipeline / Validation Errors:{Environment.NewLine}- QuantizeBackbone: QuantizationOptions.Preprocessing differs from the pipeline's (WithPreprocessing); calibrate on the pixels the featurizer sees: set Preprocessing to the pipeline's, or leave it out of both.",
            e.Message);
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
