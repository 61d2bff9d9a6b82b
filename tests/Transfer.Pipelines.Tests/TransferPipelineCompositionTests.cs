using System.Globalization;
using Parquet;
using Parquet.Schema;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Pipelines.Tests;

/// <summary>The pipeline's stages composed in each supported way, on the real ResNet18 and real QuickStart PNGs.</summary>
public sealed class TransferPipelineCompositionTests
{
    [Fact]
    public async Task RunAsync_NeuralHeadAndCache_ReportsHistoryAndCacheStatistics()
    {
        using var temp = TestData.Temp();
        string cache = Path.Combine(temp.Path, "cache");
        using var result = await TransferPipeline.For(TestData.Set(TestData.QuickStartTrain, 6))
            .CacheBottlenecks(cache)
            .TrainHead(o => { o.Epochs = 8; o.HiddenLayers = []; o.Seed = 3; })
            .Evaluate(TestData.Set(TestData.QuickStartTest, 3))
            .Build()
            .RunAsync();

        Assert.NotNull(result.History);
        Assert.InRange(result.History!.Epochs.Count, 1, 8);
        Assert.Equal("softmax", result.Model.Head.TrainerName);
        Assert.Equal(Path.GetFullPath(cache), result.CacheDirectory);
        Assert.Equal(27, result.CacheStatistics!.Added);
        Assert.Equal(27, result.CacheStatistics.Misses);
        Assert.Equal(0, result.CacheStatistics.Hits);
        Assert.True(result.CacheStatistics.SegmentsWritten >= 1);
        Assert.Equal(9, result.Evaluation!.Count);
    }

    [Fact]
    public async Task FeaturizeAsync_ExportsParquetAndCsvHoldingTheFeatures()
    {
        using var temp = TestData.Temp();
        var embeddings = await TransferPipeline.For(TestData.Set(TestData.QuickStartTrain, 4)).WithBackbone(Backbones.Backbones.ResNet18).WithoutBottleneckCache().Build().FeaturizeAsync();
        Assert.Equal(12, embeddings.Features.Count);
        Assert.Equal(512, embeddings.Features.Dimension);
        Assert.Equal(12, embeddings.Computed);
        Assert.Null(embeddings.CacheStatistics);

        string parquet = Path.Combine(temp.Path, "out", "embeddings.parquet");
        embeddings.SaveParquet(parquet);
        await using (var stream = File.OpenRead(parquet))
        {
            await using var reader = await ParquetReader.CreateAsync(stream);
            Assert.Equal("ResNet18", reader.CustomMetadata["transfer.backbone"]);
            DataField[] fields = reader.Schema.GetDataFields();
            Assert.Equal(3 + 512, fields.Length);
            Assert.Equal(["name", "label", "sha256", "f0"], fields.Take(4).Select(f => f.Name));
            using var group = reader.OpenRowGroupReader(0);
            Assert.Equal(12, group.RowCount);
            var labels = new string?[12];
            await group.ReadAsync(fields[1], labels.AsMemory(), null);
            var hashes = new string?[12];
            await group.ReadAsync(fields[2], hashes.AsMemory(), null);
            var last = new float[12];
            await group.ReadAsync<float>(fields[^1], last.AsMemory(), null);
            for (int i = 0; i < 12; i++)
            {
                Assert.Equal(embeddings.Classes[embeddings.Features.Labels[i]], labels[i]);
                Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(embeddings.Images[i].Path!))), hashes[i]);
                Assert.Equal(embeddings.Features.Row(i)[511], last[i]);
            }
        }

        string csv = Path.Combine(temp.Path, "embeddings.csv");
        embeddings.SaveCsv(csv);
        string[] lines = File.ReadAllLines(csv);
        Assert.Equal(13, lines.Length);
        Assert.StartsWith("name,label,sha256,f0,f1,", lines[0], StringComparison.Ordinal);
        string[] row = lines[5].Split(',');
        Assert.Equal(3 + 512, row.Length);
        Assert.Equal(embeddings.Classes[embeddings.Features.Labels[4]], row[1]);
        Assert.Equal(embeddings.Features.Row(4)[0], float.Parse(row[3], CultureInfo.InvariantCulture));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(parquet)!, "*.tmp"));
    }

    [Fact]
    public async Task FromCache_AfterFeaturizeOnly_TrainsWithoutComputingAnyFeature()
    {
        using var temp = TestData.Temp();
        string cache = Path.Combine(temp.Path, "cache");
        var train = TestData.Set(TestData.QuickStartTrain, 5);
        var test = TestData.Set(TestData.QuickStartTest, 2);
        var filled = await TransferPipeline.For(ImageSet.FromEntries([.. train.Entries, .. test.Entries])).CacheBottlenecks(cache).Build().FeaturizeAsync();
        Assert.Equal(21, filled.Computed);

        // A renamed copy is the same bytes, so the same cache row.
        string renamed = Path.Combine(temp.Path, "renamed-bag.png");
        File.Copy(train.Entries[0].Path!, renamed);
        var trainWithCopy = ImageSet.FromEntries([.. train.Entries, ImageEntry.FromFile(renamed, "Bag")]);

        using var result = await TransferPipeline.For(trainWithCopy).FromCache(cache).Evaluate(test).Build().RunAsync();
        Assert.Equal(0, result.TrainFeatures.Computed);
        Assert.Equal(16, result.TrainFeatures.CacheHits);
        Assert.Equal(0, result.TestFeatures!.Computed);
        Assert.Equal(0, result.CacheStatistics!.Added);
        Assert.Equal(6, result.Evaluation!.Count);
    }

    [Fact]
    public async Task FromCache_ImagesMissingFromTheCache_FailsBeforeTrainingNamingThem()
    {
        using var temp = TestData.Temp();
        string cache = Path.Combine(temp.Path, "cache");
        await TransferPipeline.For(TestData.Set(TestData.QuickStartTrain, 2)).CacheBottlenecks(cache).Build().FeaturizeAsync();

        var more = TestData.Set(TestData.QuickStartTrain, 3);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TransferPipeline.For(more).FromCache(cache).TestFraction(0).Build().RunAsync());
        Assert.StartsWith($"FromCache: 3 of 9 images have no features in the bottleneck cache {Path.GetFullPath(cache)}", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(more.Entries[2].Path!), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvaluateAsync_SavedModelOnNewImages_MatchesTheRunsEvaluation()
    {
        using var temp = TestData.Temp();
        var test = TestData.Set(TestData.QuickStartTest, 4);
        string path = Path.Combine(temp.Path, "model.zip");
        double accuracy, logLoss;
        using (var result = await TransferPipeline.For(TestData.Set(TestData.QuickStartTrain, 6)).WithoutBottleneckCache().Evaluate(test).Build().RunAsync())
        {
            result.Model.Save(path);
            accuracy = result.Evaluation!.MicroAccuracy;
            logLoss = result.Evaluation.LogLoss;
        }

        using var model = TransferModel.Load(path);
        var progress = new List<PipelineProgress>();
        var evaluation = await TransferPipeline.EvaluateAsync(model, test, new SynchronousProgress(progress.Add));

        Assert.Equal(12, evaluation.Count);
        Assert.Equal(accuracy, evaluation.MicroAccuracy, 6);
        Assert.Equal(logLoss, evaluation.LogLoss, 3);
        Assert.Equal(PipelineStage.Done, progress[^1].Stage);
        Assert.Contains(progress, p => p.Stage == PipelineStage.Evaluating && p.Featurization!.Completed == 12);
    }

    [Fact]
    public async Task EvaluateAsync_ClassTheModelDoesNotKnow_IsRejected()
    {
        using var temp = TestData.Temp();
        string path = Path.Combine(temp.Path, "model.zip");
        using (var result = await TransferPipeline.For(TestData.Set(TestData.QuickStartTrain, 3)).WithoutBottleneckCache().TestFraction(0).Build().RunAsync())
        {
            result.Model.Save(path);
        }

        using var model = TransferModel.Load(path);
        var coat = ImageSet.FromDirectory(TestData.QuickStartTest).Entries.Where(e => e.Label == "Coat").Take(1);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => TransferPipeline.EvaluateAsync(model, ImageSet.FromEntries(coat)));
        Assert.Equal("The image set has classes the model was not trained on: Coat (the model knows Bag, Sneaker, Trouser). Remove those images or evaluate a model trained on them. (Parameter 'images')", e.Message);
    }

    private sealed class SynchronousProgress(Action<PipelineProgress> report) : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value) => report(value);
    }
}
