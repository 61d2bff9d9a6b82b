using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.IntegrationTests.Gpu;

/// <summary>The backbone on CUDA device 0 against the CPU: run by scripts/gpu-check.sh, skipped without a usable GPU.</summary>
[Trait("Category", "Gpu")]
public sealed class GpuParityTests(SmallModelFixture fixture) : IClassFixture<SmallModelFixture>
{
    [GpuFact]
    public async Task Featurizer_Cuda_MatchesCpuWithin1e3()
    {
        var images = ImageSet.FromDirectory(TestData.QuickStartTest);
        var sample = ImageSet.FromEntries(images.Entries.Take(70), images.Classes);
        using var cpu = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = null });
        using var gpu = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(0, GpuFallback.Fail), OptimizedGraphDirectory = null });
        Assert.Equal(ExecutionProvider.Cuda(0, GpuFallback.Fail), gpu.ExecutionProvider);
        Assert.Equal(FeaturizerOptions.DefaultGpuBatchSize, gpu.BatchSize);

        var expected = (await cpu.FeaturizeAsync(sample)).Features.Values;
        var actual = (await gpu.FeaturizeAsync(sample)).Features.Values;
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Console.WriteLine($"GPU vs CPU features: max |difference| {worst:E2} over {expected.Length} values");
        Assert.True(worst <= 1e-3f, $"GPU features differ from CPU by up to {worst}, more than 1e-3.");
    }

    [GpuFact]
    public void Predictor_Cuda_PredictionsEqualCpu()
    {
        using var cpu = fixture.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        using var gpu = fixture.Model.CreatePredictor(new PredictorOptions { ExecutionProvider = ExecutionProvider.Cuda(0, GpuFallback.Fail), OptimizedGraphDirectory = null });
        Assert.True(gpu.ExecutionProvider.IsCuda);
        var expected = cpu.PredictBatch(fixture.TestImages);
        var actual = gpu.PredictBatch(fixture.TestImages);
        Assert.Equal(expected.Select(p => p.Label), actual.Select(p => p.Label));
        for (int i = 0; i < expected.Count; i++)
        {
            for (int c = 0; c < expected[i].Scores.Count; c++)
            {
                Assert.True(Math.Abs(expected[i].Scores[c] - actual[i].Scores[c]) <= 1e-3f, $"Image {i}, class {c}: CPU {expected[i].Scores[c]}, GPU {actual[i].Scores[c]}.");
            }
        }
    }

    [GpuFact]
    public async Task Featurizer_CudaSavedGraph_ReusedWithSameFeatures()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"transfer-gpu-graphs-{Guid.NewGuid():N}");
        try
        {
            var images = ImageSet.FromEntries(fixture.TestImages);
            var options = new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(0, GpuFallback.Fail), OptimizedGraphDirectory = directory };
            float[] first;
            using (var a = new Featurizer(Backbones.Backbones.ResNet18, options))
            {
                first = (await a.FeaturizeAsync(images)).Features.Values;
            }

            using var b = new Featurizer(Backbones.Backbones.ResNet18, options);
            Assert.True(b.SessionFromSavedGraph);
            var second = (await b.FeaturizeAsync(images)).Features.Values;
            for (int i = 0; i < first.Length; i++)
            {
                Assert.True(Math.Abs(first[i] - second[i]) <= 1e-3f, $"Value {i}: {first[i]} then {second[i]}.");
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
