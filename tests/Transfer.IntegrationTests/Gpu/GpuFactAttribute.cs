using Transfer.Featurization;

namespace Transfer.IntegrationTests.Gpu;

/// <summary>
/// A fact that needs a usable CUDA device 0 (the GPU build of ONNX Runtime, CUDA 13, a GPU): skipped with the probe's
/// reason without one, unless <c>TRANSFER_REQUIRE_GPU=1</c> (set by scripts/gpu-check.sh), where it runs and fails.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("TRANSFER_REQUIRE_GPU") == "1")
        {
            return;
        }

        var probe = GpuSupport.ProbeCuda(0);
        if (!probe.IsAvailable)
        {
            Skip = $"No usable GPU: {probe.Problem}";
        }
    }
}
