using Transfer.Caching;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;

namespace Transfer.ReliabilityTests;

/// <summary>Cancellation at every stage (scan, featurize, train head, evaluate, save): an <see cref="OperationCanceledException"/>, nothing half-written.</summary>
public sealed class CancellationTests(SmallModelFixture fixture) : IClassFixture<SmallModelFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-rel-cancel-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void FromDirectory_Cancelled_Throws()
    {
        TestData.CopyClasses(_root, 2, "Bag", "Trouser");
        Assert.Throws<OperationCanceledException>(() => ImageSet.FromDirectory(_root, cancellationToken: new CancellationToken(true)));
    }

    [Fact]
    public void FromManifest_Cancelled_Throws()
    {
        TestData.CopyClasses(_root, 2, "Bag");
        string manifest = Path.Combine(_root, "m.csv");
        File.WriteAllLines(manifest, Directory.GetFiles(Path.Combine(_root, "Bag")).Select(f => $"Bag/{Path.GetFileName(f)},Bag"));
        Assert.Throws<OperationCanceledException>(() => ImageSet.FromManifest(manifest, cancellationToken: new CancellationToken(true)));
    }

    [Fact]
    public async Task FeaturizeAsync_CancelledWithACache_StopsAndLeavesOnlyWholeSegments()
    {
        TestData.CopyClasses(Path.Combine(_root, "images"), 12, "Bag", "Trouser");
        var set = ImageSet.FromDirectory(Path.Combine(_root, "images"));
        string cacheDir = Path.Combine(_root, "cache");
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { BatchSize = 4 });
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress<FeaturizationProgress>(p =>
        {
            if (p.Completed >= 8)
            {
                cts.Cancel();
            }
        });
        using (var cache = BottleneckCache.Open(cacheDir, new BottleneckCacheOptions { SegmentSize = 4 }))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => featurizer.FeaturizeAsync(set, cache.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength), progress, cts.Token));
        }

        Assert.Empty(Directory.GetFiles(cacheDir, "*.partial", SearchOption.AllDirectories));
        using var reopened = BottleneckCache.Open(cacheDir);
        var again = await featurizer.FeaturizeAsync(set, reopened.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength));
        Assert.True(again.CacheHits >= 8, $"{again.CacheHits} hits: the vectors computed before cancelling should have been kept.");
        Assert.Equal(set.Count, again.Features.Count);
    }

    [Fact]
    public void Train_MlNetHeadCancelled_Throws()
    {
        var features = Features(out var classes);
        Assert.ThrowsAny<OperationCanceledException>(() => new MlNetHeadTrainer().Train(features, null, classes, new CancellationToken(true)));
    }

    [Fact]
    public void Train_NeuralHeadCancelled_Throws()
    {
        var features = Features(out var classes);
        var trainer = new NeuralHeadTrainer(new SoftmaxHead(new NeuralHeadOptions { AllowNoValidation = true, ValidationFraction = 0 }));
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(features, null, classes, new CancellationToken(true)));
    }

    [Fact]
    public void Evaluate_Cancelled_Throws()
    {
        var features = Features(out _);
        Assert.Throws<OperationCanceledException>(() => Evaluator.Evaluate(fixture.Model.Head, features, cancellationToken: new CancellationToken(true)));
    }

    [Fact]
    public void Save_Cancelled_KeepsThePreviousFileAndLeavesNoTemporaryFile()
    {
        string target = Path.Combine(_root, "model.zip");
        File.WriteAllText(target, "previous");
        Assert.Throws<OperationCanceledException>(() => fixture.Model.Save(target, cancellationToken: new CancellationToken(true)));
        Assert.Equal("previous", File.ReadAllText(target));
        Assert.Equal([target], Directory.GetFiles(_root));
    }

    [Theory]
    [InlineData(PipelineStage.Featurizing)]
    [InlineData(PipelineStage.TrainingHead)]
    [InlineData(PipelineStage.Evaluating)]
    public async Task RunAsync_CancelledAtStage_ThrowsAndReturnsNoModel(PipelineStage stage)
    {
        TestData.CopyClasses(_root, 6, "Bag", "Trouser");
        var images = ImageSet.FromDirectory(_root);
        using var cts = new CancellationTokenSource();
        var progress = new InlineProgress<PipelineProgress>(p =>
        {
            if (p.Stage == stage)
            {
                cts.Cancel();
            }
        });
        var pipeline = TransferPipeline.For(images).WithoutBottleneckCache().TestFraction(0.34).Build();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pipeline.RunAsync(progress, cts.Token));
    }

    private static FeatureMatrix Features(out IReadOnlyList<string> classes)
    {
        classes = ["Bag", "Sneaker", "Trouser"];
        var random = new Random(1);
        var values = new float[30 * 512];
        var labels = new int[30];
        for (int i = 0; i < 30; i++)
        {
            labels[i] = i % 3;
            for (int j = 0; j < 512; j++)
            {
                values[(i * 512) + j] = (float)random.NextDouble() + (j % 3 == labels[i] ? 1 : 0);
            }
        }

        return new FeatureMatrix(values, 30, 512, labels, 3);
    }

    private sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
