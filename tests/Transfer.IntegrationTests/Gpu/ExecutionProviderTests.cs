using Microsoft.ML;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;
using Transfer.Validation;

namespace Transfer.IntegrationTests.Gpu;

/// <summary>
/// The execution-provider option and its fallback, on the CPU. Device 97 exists nowhere, so CUDA fails in every
/// environment: for want of the GPU package (here), of the CUDA libraries, or of the device (on a GPU machine).
/// </summary>
public sealed class ExecutionProviderTests(SmallModelFixture fixture) : IClassFixture<SmallModelFixture>
{
    private const int MissingDevice = 97;

    [Fact]
    public async Task Featurizer_CudaUnavailable_LogsOneWarningAndMatchesCpu()
    {
        var logs = new CapturingLoggerFactory();
        var images = ImageSet.FromEntries(fixture.TestImages.Take(6));
        using var cpu = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { OptimizedGraphDirectory = null });
        using var fallback = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(MissingDevice), OptimizedGraphDirectory = null, LoggerFactory = logs });

        Assert.Equal(ExecutionProvider.Cpu, fallback.ExecutionProvider);
        Assert.Equal(fallback.Options.BatchSize, fallback.BatchSize);
        var warning = Assert.Single(logs.Warnings);
        Assert.StartsWith($"CUDA:{MissingDevice} was asked for but cannot be used, so ONNX Runtime runs on the CPU.", warning, StringComparison.Ordinal);
        Assert.EndsWith("To fail instead, use GpuFallback.Fail.", warning, StringComparison.Ordinal);
        Assert.All(logs.Entries, e => Assert.Equal("Transfer.ExecutionProvider", e.Category));

        var expected = await cpu.FeaturizeAsync(images);
        var actual = await fallback.FeaturizeAsync(images);
        Assert.Equal(expected.Features.Values, actual.Features.Values);
    }

    [Fact]
    public void Featurizer_CudaStrict_ThrowsNamingWhatIsMissing()
    {
        var probe = GpuSupport.ProbeCuda(MissingDevice);
        var e = Assert.Throws<GpuUnavailableException>(() => new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(MissingDevice, GpuFallback.Fail), OptimizedGraphDirectory = null }));

        Assert.StartsWith($"CUDA:{MissingDevice}, strict was asked for with GpuFallback.Fail, but it cannot be used. ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("Or use GpuFallback.Cpu to run on the CPU with a warning.", e.Message, StringComparison.Ordinal);
        if (!probe.IsAvailable)
        {
            Assert.Contains(probe.Problem!, e.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"could not create a session on CUDA device {MissingDevice}", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ProbeCuda_WithoutCudaBuild_NamesTheGpuPackageAndSwitch()
    {
        var probe = GpuSupport.ProbeCuda(0);
        Assert.Equal(GpuSupport.OnnxRuntimeVersion, probe.OnnxRuntimeVersion);
        Assert.Contains("CPUExecutionProvider", probe.Providers);
        if (!probe.Providers.Contains(GpuSupport.CudaProviderName))
        {
            // The CPU package (this repository's default build).
            Assert.False(probe.IsAvailable);
            Assert.Equal(
                $"The loaded ONNX Runtime {probe.OnnxRuntimeVersion} is a build without CUDA (its providers: CPUExecutionProvider): the GPU package is missing. "
                + "Reference Microsoft.ML.OnnxRuntime.Gpu (or .Gpu.Linux) 1.32.0 instead of Microsoft.ML.OnnxRuntime; in this repository build with -p:TransferOnnxRuntime=Gpu.",
                probe.Problem);
        }
        else if (!probe.IsAvailable)
        {
            // The GPU package without CUDA: the message names the CUDA libraries that do not load.
            Assert.Contains("has the CUDA execution provider but could not load it", probe.Problem, StringComparison.Ordinal);
            Assert.Matches("Missing: .*lib(cuda|cudart|cublas|cublasLt|curand)\\.so|must be installed", probe.Problem!);
        }
        else
        {
            Assert.Null(probe.Problem);
        }
    }

    [Fact]
    public void Predictor_CudaUnavailable_FallsBackWithOneWarningAndPredictsLikeCpu()
    {
        var logs = new CapturingLoggerFactory();
        using var cpu = fixture.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        using var fallback = fixture.Model.CreatePredictor(new PredictorOptions { ExecutionProvider = ExecutionProvider.Cuda(MissingDevice), OptimizedGraphDirectory = null, LoggerFactory = logs });

        Assert.Equal(ExecutionProvider.Cpu, fallback.ExecutionProvider);
        Assert.Single(logs.Warnings);
        var expected = cpu.PredictBatch(fixture.TestImages);
        var actual = fallback.PredictBatch(fixture.TestImages);
        Assert.Equal(expected.Select(p => p.Label), actual.Select(p => p.Label));
        Assert.Equal(expected.SelectMany(p => p.Scores), actual.SelectMany(p => p.Scores));
    }

    [Fact]
    public void Predictor_CudaStrict_Throws()
    {
        var e = Assert.Throws<GpuUnavailableException>(() => fixture.Model.CreatePredictor(new PredictorOptions { ExecutionProvider = ExecutionProvider.Cuda(MissingDevice, GpuFallback.Fail), OptimizedGraphDirectory = null }));
        Assert.StartsWith($"CUDA:{MissingDevice}, strict was asked for", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToMlNet_CudaWithoutGpuBuild_WarnsAndScoresOnCpu_OrFailsWhenStrict()
    {
        var probe = GpuSupport.ProbeCuda(0);
        if (probe.IsAvailable)
        {
            return; // a GPU machine: ML.NET's own ApplyOnnxModel handles devices; GpuParityTests cover it.
        }

        var logs = new CapturingLoggerFactory();
        var chain = fixture.Model.ToMlNet(ScoringInput.ImagePath, ExecutionProvider.Cuda(0), logs);
        Assert.Single(logs.Warnings);
        var ml = new MLContext(1);
        var rows = fixture.TestImages.Select(e => new PathRow { ImagePath = e.Path! }).ToList();
        var scored = ml.Data.CreateEnumerable<Output>(chain.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false).ToList();
        using var predictor = fixture.Model.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null });
        var ours = predictor.PredictBatch(fixture.TestImages);
        Assert.Equal(ours.Select(p => p.Label), scored.Select(s => s.PredictedLabel));

        var e = Assert.Throws<GpuUnavailableException>(() => fixture.Model.ToMlNet(ScoringInput.ImagePath, ExecutionProvider.Cuda(0, GpuFallback.Fail)));
        Assert.Contains(probe.Problem!, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Validate_ListsEveryGpuProblem()
    {
        var options = new FeaturizerOptions { GpuBatchSize = 0, ExecutionProvider = null!, OptimizedGraphDirectory = string.Empty };
        var e = Assert.Throws<OptionsValidationException>(options.Validate);
        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "Invalid FeaturizerOptions / Validation Errors:",
                "- GpuBatchSize must be in [1, 4096], was 0.",
                "- ExecutionProvider must not be null; use ExecutionProvider.Cpu or ExecutionProvider.Cuda(deviceId).",
                "- OptimizedGraphDirectory must be a folder path or null (no saved graphs), was \"\"."),
            e.Message);

        var p = Assert.Throws<OptionsValidationException>(() => fixture.Model.CreatePredictor(new PredictorOptions { BatchSize = 0, GpuBatchSize = 5000, MaxPixels = 0 }));
        Assert.Contains("BatchSize must be in [1, 4096], was 0.", p.Message, StringComparison.Ordinal);
        Assert.Contains("GpuBatchSize must be in [1, 4096], was 5000.", p.Message, StringComparison.Ordinal);
        Assert.Contains("MaxPixels must be positive, was 0.", p.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_BadArguments_Throw()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ExecutionProvider.Cuda(-1));
        Assert.StartsWith("The CUDA device id must be 0 or more, was -1. Pass 0 for the first GPU.", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ExecutionProvider.Cuda(0, (GpuFallback)7));
        Assert.Equal("CUDA:1", ExecutionProvider.Cuda(1).ToString());
        Assert.Equal("CUDA:0, strict", ExecutionProvider.Cuda(0, GpuFallback.Fail).ToString());
        Assert.Equal("CPU", ExecutionProvider.Cpu.ToString());
        Assert.Equal(ExecutionProvider.Cuda(2), ExecutionProvider.Cuda(2));
        Assert.NotEqual(ExecutionProvider.Cuda(2), ExecutionProvider.Cuda(2, GpuFallback.Fail));
    }

    private sealed class PathRow
    {
        public string ImagePath { get; set; } = string.Empty;
    }

    private sealed class Output
    {
        public string PredictedLabel { get; set; } = string.Empty;
    }
}
