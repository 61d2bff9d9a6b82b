using Transfer.Validation;

namespace Transfer.Featurization;

/// <summary>The checks shared by the options that open an ONNX Runtime session (<c>FeaturizerOptions</c>, <see cref="Models.PredictorOptions"/>).</summary>
internal static class RuntimeOptionsValidation
{
    /// <summary>Adds a message for each invalid runtime setting, in a fixed order.</summary>
    internal static void AddProblems(ValidationProblems problems, int batchSize, int gpuBatchSize, int intraOpThreads, ExecutionProvider? executionProvider, string? optimizedGraphDirectory)
    {
        if (batchSize is < 1 or > 4096)
        {
            problems.Add($"BatchSize must be in [1, 4096], was {batchSize}.");
        }

        if (gpuBatchSize is < 1 or > 4096)
        {
            problems.Add($"GpuBatchSize must be in [1, 4096], was {gpuBatchSize}.");
        }

        if (intraOpThreads < 0)
        {
            problems.Add($"IntraOpThreads must be 0 (one per core) or more, was {intraOpThreads}.");
        }

        if (executionProvider is null)
        {
            problems.Add("ExecutionProvider must not be null; use ExecutionProvider.Cpu or ExecutionProvider.Cuda(deviceId).");
        }

        if (optimizedGraphDirectory is { } dir && (dir.Length == 0 || dir.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            problems.Add($"OptimizedGraphDirectory must be a folder path or null (no saved graphs), was \"{dir}\".");
        }
    }
}
