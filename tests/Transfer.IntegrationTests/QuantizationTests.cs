using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Google.Protobuf;
using Onnx;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.IntegrationTests;

/// <summary>The real ResNet18 quantized once (default options) on the embedded QuickStart training images.</summary>
public sealed class QuantizedResNet18Fixture : IAsyncLifetime
{
    public Backbone Fp32 { get; } = Backbones.Backbones.ResNet18;

    public Backbone Quantized { get; private set; } = null!;

    public ImageSet Train { get; } = ImageSet.FromDirectory(TestData.QuickStartTrain);

    public ImageSet Test { get; } = ImageSet.FromDirectory(TestData.QuickStartTest);

    public List<QuantizationProgress> Progress { get; } = [];

    public async Task InitializeAsync()
    {
        var progress = new SynchronousProgress<QuantizationProgress>(Progress.Add);
        Quantized = await Fp32.QuantizeAsync(Train, new QuantizationOptions(), progress);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Features of a set through a backbone (no cache).</summary>
    public static async Task<FeatureMatrix> FeaturesAsync(Backbone backbone, ImageSet images)
    {
        using var featurizer = new Featurizer(backbone);
        return (await featurizer.FeaturizeAsync(images)).Features;
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value)
        {
            lock (this)
            {
                report(value);
            }
        }
    }
}

/// <summary>Int8 QDQ quantization of the real ResNet18: graph validity, BatchNorm folding, fingerprints, save/reload, accuracy.</summary>
public sealed class QuantizationTests(QuantizedResNet18Fixture fixture) : IClassFixture<QuantizedResNet18Fixture>
{
    [Fact]
    public void QuantizeAsync_ResNet18_GraphPassesStructureCheckAndLoadsInOnnxRuntime()
    {
        var backbone = fixture.Quantized.LoadSourceModel();
        var featurizerGraph = ModelProto.Parser.ParseFrom(fixture.Quantized.BuildFeaturizerModel());
        Assert.Empty(OnnxStructure.Check(backbone));
        Assert.Empty(OnnxStructure.Check(featurizerGraph));

        var ops = backbone.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.False(ops.ContainsKey("BatchNormalization"));
        Assert.False(ops.ContainsKey("Relu")); // every Relu follows a quantized Conv/Add and folds into its uint8 range
        Assert.Equal(22, ops["Conv"]);
        Assert.True(ops["QuantizeLinear"] >= 30, $"{ops["QuantizeLinear"]} QuantizeLinear nodes");

        // Every Conv reads int8 per-channel weights and a uint8 activation through DequantizeLinear.
        var inits = backbone.Graph.Initializer.ToDictionary(t => t.Name);
        var producers = backbone.Graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var conv in backbone.Graph.Node.Where(n => n.OpType == "Conv"))
        {
            var wdq = producers[conv.Input[1]];
            Assert.Equal("DequantizeLinear", wdq.OpType);
            Assert.Equal((int)TensorProto.Types.DataType.Int8, inits[wdq.Input[0]].DataType);
            Assert.Equal(inits[wdq.Input[0]].Dims[0], inits[wdq.Input[1]].Dims[0]);
            Assert.Equal(0, wdq.Attribute.Single(a => a.Name == "axis").I);
            var xdq = producers[conv.Input[0]];
            Assert.Equal("DequantizeLinear", xdq.OpType);
            Assert.Equal((int)TensorProto.Types.DataType.Uint8, inits[xdq.Input[2]].DataType);
            Assert.Equal("DequantizeLinear", producers[conv.Input[2]].OpType);
        }

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(featurizerGraph.ToByteArray(), options);
        Assert.Equal("Pixels", session.InputMetadata.Keys.Single());
        Assert.Equal("Features", session.OutputMetadata.Keys.Single());
    }

    [Fact]
    public void QuantizeAsync_ResNet18_ReportsProgressAndSettings()
    {
        var report = fixture.Quantized.Quantization!;
        Assert.Equal(22, report.BatchNormsFolded);
        Assert.Equal(22, report.QuantizedConvs);
        Assert.Equal(64, report.CalibrationImages);
        Assert.Equal(64, report.HeldOutImages);
        Assert.Equal(fixture.Fp32.Fingerprint, report.SourceFingerprint);
        Assert.Contains("w=s8-sym-per-channel-7bit-mse;method=MinimumSquaredError;", report.Settings, StringComparison.Ordinal);
        Assert.Empty(report.Warnings);
        Assert.Contains(fixture.Progress, p => p.Stage == "calibrate-histogram" && p.Completed == p.Total);
        Assert.Contains(fixture.Progress, p => p.Stage == "guard");
    }

    [Fact]
    public async Task FoldBatchNorm_ResNet18_MatchesUnfoldedFeaturesWithin1e4Relative()
    {
        var images = ImageSet.FromEntries(fixture.Test.Entries.Where((_, i) => i % 10 == 0));
        var folded = BackboneQuantizer.FoldedFp32(fixture.Fp32);
        Assert.DoesNotContain(folded.LoadSourceModel().Graph.Node, n => n.OpType == "BatchNormalization");
        var a = await QuantizedResNet18Fixture.FeaturesAsync(fixture.Fp32, images);
        var b = await QuantizedResNet18Fixture.FeaturesAsync(folded, images);
        Assert.Equal(20, a.Count);
        for (int i = 0; i < a.Count; i++)
        {
            float scale = TensorPrimitives.MaxMagnitude(a.Row(i));
            var diff = new float[a.Dimension];
            TensorPrimitives.Subtract(a.Row(i), b.Row(i), diff);
            float relative = TensorPrimitives.MaxMagnitude(diff) / scale;
            Assert.True(relative <= 1e-4f, $"image {i}: folded vs unfolded max difference {relative:E2} of the largest feature.");
        }
    }

    [Fact]
    public void Fingerprint_Int8AndFp32_DifferAndNameSaysInt8()
    {
        Assert.Equal("ResNet18-int8", fixture.Quantized.Name);
        Assert.True(fixture.Quantized.IsQuantized);
        Assert.False(fixture.Fp32.IsQuantized);
        Assert.NotEqual(fixture.Fp32.Fingerprint, fixture.Quantized.Fingerprint);
        Assert.NotEqual(fixture.Fp32.FeatureSpaceKey(ImagePreprocessing.Default), fixture.Quantized.FeatureSpaceKey(ImagePreprocessing.Default));
    }

    [Fact]
    public async Task BottleneckCache_Fp32ThenInt8_Int8ComputesEveryVectorAnew()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"transfer-int8-cache-{Guid.NewGuid():N}");
        try
        {
            var images = ImageSet.FromEntries(fixture.Test.Entries.Take(8));
            using var cache = BottleneckCache.Open(dir);
            FeaturizationResult fp32, int8, int8Again;
            using (var f = new Featurizer(fixture.Fp32))
            {
                fp32 = await f.FeaturizeAsync(images, cache.GetStore(f.FeatureSpaceKey, f.FeatureLength));
            }

            using (var f = new Featurizer(fixture.Quantized))
            {
                int8 = await f.FeaturizeAsync(images, cache.GetStore(f.FeatureSpaceKey, f.FeatureLength));
                int8Again = await f.FeaturizeAsync(images, cache.GetStore(f.FeatureSpaceKey, f.FeatureLength));
            }

            Assert.Equal((0, 8), (fp32.CacheHits, fp32.Computed));
            Assert.Equal((0, 8), (int8.CacheHits, int8.Computed));
            Assert.Equal((8, 0), (int8Again.CacheHits, int8Again.Computed));
            Assert.Equal(int8.Features.Values, int8Again.Features.Values);
            Assert.NotEqual(fp32.Features.Values, int8.Features.Values);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Int8Features_QuickStartTest_CosineToFp32AboveBound()
    {
        var report = fixture.Quantized.Quantization!;
        Assert.True(report.MeanCosine >= 0.95, $"held-out mean cosine {report.MeanCosine:F4}");
        var fp32 = await QuantizedResNet18Fixture.FeaturesAsync(fixture.Fp32, fixture.Test);
        var int8 = await QuantizedResNet18Fixture.FeaturesAsync(fixture.Quantized, fixture.Test);
        double sum = 0, min = 1;
        for (int i = 0; i < fp32.Count; i++)
        {
            double c = TensorPrimitives.CosineSimilarity(fp32.Row(i), int8.Row(i));
            sum += c;
            min = Math.Min(min, c);
        }

        double mean = sum / fp32.Count;
        Assert.True(mean >= 0.95, $"test-set mean cosine int8 vs fp32 {mean:F4} (min {min:F4}).");
        Assert.True(min >= 0.80, $"test-set min cosine int8 vs fp32 {min:F4} (mean {mean:F4}).");
        Assert.True(mean < 0.99999, $"mean cosine {mean:F6}: the int8 graph computes the same as fp32, so nothing was quantized.");
    }

    [Fact]
    public async Task SaveLoad_Int8Model_SameGraphAndIdenticalPredictions()
    {
        string path = Path.Combine(Path.GetTempPath(), $"transfer-int8-{Guid.NewGuid():N}.zip");
        try
        {
            var train = ImageSet.FromEntries(fixture.Train.Entries.Where((_, i) => i % 5 == 0), fixture.Train.Classes);
            using var featurizer = new Featurizer(fixture.Quantized);
            var features = await featurizer.FeaturizeAsync(train);
            var trainer = new MlNetHeadTrainer();
            var head = trainer.Train(features.Features, null, features.Classes);
            using var model = TransferModel.Create(featurizer, head, trainer.Describe());
            model.Save(path);
            using var loaded = TransferModel.Load(path);

            Assert.Equal("ResNet18-int8", loaded.Manifest.Backbone);
            Assert.Equal(fixture.Quantized.Fingerprint, loaded.Manifest.BackboneFingerprint);
            Assert.Equal(fixture.Quantized.Quantization!.Settings, loaded.Manifest.BackboneQuantization);

            var images = fixture.Test.Entries.Take(40).ToList();
            using var before = model.CreatePredictor();
            using var after = loaded.CreatePredictor();
            var p1 = before.PredictBatch(images);
            var p2 = after.PredictBatch(images);
            for (int i = 0; i < images.Count; i++)
            {
                Assert.Equal(p1[i].Label, p2[i].Label);
                for (int k = 0; k < p1[i].Scores.Count; k++)
                {
                    Assert.Equal(p1[i].Scores[k], p2[i].Scores[k], 1e-5f);
                }
            }

            // The zip carries the QDQ graph itself, not an fp32 one.
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal) && e.Length > 1_000_000 && e.Length < 20_000_000);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task QuantizeAsync_ImpossibleCosineAndRefuse_ThrowsWithReport()
    {
        var options = new QuantizationOptions { CalibrationImageCount = 8, HeldOutImageCount = 10, MinMeanCosine = 1.0, GuardAction = AccuracyGuardAction.Refuse };
        var e = await Assert.ThrowsAsync<QuantizationAccuracyException>(() => fixture.Fp32.QuantizeAsync(fixture.Train, options));
        Assert.NotNull(e.Report);
        Assert.Equal(10, e.Report.HeldOutImages);
        Assert.Contains("below MinMeanCosine 1.0000", e.Message, StringComparison.Ordinal);
        Assert.Contains("KeepFp32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuantizeAsync_EntropyAndKeepFirstConv_KeepsThatConvFp32()
    {
        var options = new QuantizationOptions { Method = CalibrationMethod.Entropy, CalibrationImageCount = 16, HeldOutImageCount = 16, KeepFp32 = ["Convolution249"] };
        var int8 = await fixture.Fp32.QuantizeAsync(fixture.Train, options);
        var graph = int8.LoadSourceModel().Graph;
        var first = graph.Node.Single(n => n.Name == "Convolution249");
        Assert.Contains(graph.Initializer, t => t.Name == first.Input[1] && t.DataType == (int)TensorProto.Types.DataType.Float);
        Assert.Equal(21, int8.Quantization!.QuantizedConvs);
        Assert.Equal(["Convolution249"], int8.Quantization.KeptFp32);
        Assert.Contains("method=Entropy", int8.Quantization.Settings, StringComparison.Ordinal);
        Assert.True(int8.Quantization.MeanCosine >= 0.9, int8.Quantization.ToString());
        Assert.NotEqual(fixture.Quantized.Fingerprint, int8.Fingerprint);
    }

    [Fact]
    public async Task QuantizeAsync_UnknownKeepFp32Name_ThrowsNamingIt()
    {
        var options = new QuantizationOptions { KeepFp32 = ["Conv", "NoSuchNode"] };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Fp32.QuantizeAsync(fixture.Train, options));
        Assert.Contains("[NoSuchNode]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QuantizeAsync_AlreadyInt8_Throws()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Quantized.QuantizeAsync(fixture.Train));
        Assert.Contains("already int8", e.Message, StringComparison.Ordinal);
    }
}
