using Transfer.Featurization;
using Transfer.Images;
using Transfer.Pipelines;

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
        var e = Assert.Throws<ArgumentException>(() => TransferPipeline.For(single)
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
        var e = Assert.Throws<ArgumentException>(() => TransferPipeline.For(single)
            .TestFraction(1.5)
            .TrainHead(o => { o.Epochs = 0; o.Dropout = 1; })
            .FromCache(missing)
            .Build());
        Assert.Equal(
            string.Join(Environment.NewLine, [
                "Invalid pipeline / Validation Errors:",
                "The image set has 1 class(es) (a); a classifier needs at least two. Add a folder of images for each class.",
                "TestFraction must be in [0, 1), was 1.5.",
                "TrainHead: Epochs must be at least 1, was 0.",
                "TrainHead: Dropout must be in [0, 1), was 1.",
                $"FromCache: the cache folder \"{missing}\" does not exist. Fill it first with CacheBottlenecks(folder), or FeaturizeAsync.",
            ]),
            e.Message);
    }

    [Fact]
    public void Build_FromCacheWithoutCache_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => TransferPipeline.For(TwoClasses()).FromCache(Path.GetTempPath()).WithoutBottleneckCache().Build());
        Assert.Equal($"Invalid pipeline / Validation Errors:{Environment.NewLine}FromCache and WithoutBottleneckCache exclude each other; remove one.", e.Message);
    }

    [Fact]
    public void Build_TrainHeadOptions_BuildsSoftmaxOrMlp()
    {
        Assert.Equal("softmax", TransferPipeline.For(TwoClasses()).WithoutBottleneckCache().TrainHead(o => o.HiddenLayers = []).Build().Head.Name);
        Assert.Equal("mlp", TransferPipeline.For(TwoClasses()).WithoutBottleneckCache().TrainHead(o => o.Epochs = 3).Build().Head.Name);
        Assert.Equal("lbfgs", TransferPipeline.For(TwoClasses()).WithoutBottleneckCache().Build().Head.Name);
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
        var e = Assert.Throws<ArgumentException>(() => TransferPipeline.For(TwoClasses()).TestOn(test).Build());
        Assert.Contains("zebra", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Defaults_UseResNet18AndCacheBesideFolder()
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
            Assert.Equal("ResNet18", pipeline.Backbone.Name);
            Assert.Equal(Path.Combine(root, ".bottlenecks"), pipeline.CacheDirectory);
            Assert.Null(TransferPipeline.For(ImageSet.FromDirectory(root)).WithoutBottleneckCache().Build().CacheDirectory);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
