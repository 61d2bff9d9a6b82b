using System.Text.RegularExpressions;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.IntegrationTests.Gpu;

/// <summary>ONNX Runtime's optimized graph saved once and reused: same features, damaged or unusable files never an error.</summary>
public sealed class OptimizedGraphTests(SmallModelFixture fixture) : IClassFixture<SmallModelFixture>, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"transfer-graphs-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Featurizer_SecondSession_LoadsSavedGraphWithSameFeatures()
    {
        var images = ImageSet.FromEntries(fixture.TestImages.Take(8));
        using var plain = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = null });
        var expected = (await plain.FeaturizeAsync(images)).Features.Values;

        using (var first = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = _directory }))
        {
            Assert.False(first.SessionFromSavedGraph);
            AssertClose(expected, (await first.FeaturizeAsync(images)).Features.Values);
        }

        var saved = Assert.Single(Directory.GetFiles(_directory));
        Assert.Matches($"^[0-9a-f]{{32}}-ort{Regex.Escape(GpuSupport.OnnxRuntimeVersion)}-cpu-99-[a-z0-9]+\\.onnx$", Path.GetFileName(saved));
        using var second = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = _directory });
        Assert.True(second.SessionFromSavedGraph);
        AssertClose(expected, (await second.FeaturizeAsync(images)).Features.Values);
    }

    [Fact]
    public async Task Featurizer_DamagedSavedGraph_IsRebuilt()
    {
        using (new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = _directory }))
        {
        }

        var saved = Assert.Single(Directory.GetFiles(_directory));
        var bytes = await File.ReadAllBytesAsync(saved);
        await File.WriteAllBytesAsync(saved, bytes.AsSpan(0, bytes.Length / 3).ToArray());

        var images = ImageSet.FromEntries(fixture.TestImages.Take(4));
        using (var rebuilt = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = _directory }))
        {
            Assert.False(rebuilt.SessionFromSavedGraph);
            Assert.Equal(4, (await rebuilt.FeaturizeAsync(images)).Features.Count);
        }

        Assert.Equal(bytes.Length, new FileInfo(Assert.Single(Directory.GetFiles(_directory))).Length);
        using var again = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = _directory });
        Assert.True(again.SessionFromSavedGraph);
    }

    [Fact]
    public void Predictor_GraphFolderIsAFile_StillPredicts()
    {
        Directory.CreateDirectory(_directory);
        string notAFolder = Path.Combine(_directory, "file");
        File.WriteAllText(notAFolder, "not a folder");
        using var predictor = fixture.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = notAFolder });
        Assert.Equal(fixture.Model.Classes.Count, predictor.Predict(fixture.TestImages[0].Path!).Scores.Count);
        Assert.Equal("not a folder", File.ReadAllText(notAFolder));
    }

    [Fact]
    public void Predictor_SavedGraph_PredictsLikeFreshGraph()
    {
        using var fresh = fixture.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        using (fixture.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = _directory }))
        {
        }

        using var reused = fixture.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = _directory, WarmUp = false });
        var expected = fresh.PredictBatch(fixture.TestImages);
        var actual = reused.PredictBatch(fixture.TestImages);
        Assert.Equal(expected.Select(p => p.Label), actual.Select(p => p.Label));
        AssertClose(expected.SelectMany(p => p.Scores).ToArray(), actual.SelectMany(p => p.Scores).ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])), $"Value {i}: expected {expected[i]}, got {actual[i]}.");
        }
    }
}
