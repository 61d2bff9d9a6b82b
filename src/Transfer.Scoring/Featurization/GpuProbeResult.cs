namespace Transfer.Featurization;

/// <summary>What <see cref="GpuSupport.ProbeCuda"/> found about the CUDA execution provider in this process.</summary>
/// <param name="IsAvailable">Whether the CUDA execution provider could be added to a session.</param>
/// <param name="Problem">When not available: what is missing and the fix; otherwise <see langword="null"/>.</param>
/// <param name="OnnxRuntimeVersion">The version of the loaded native ONNX Runtime.</param>
/// <param name="Providers">The execution providers compiled into the loaded native ONNX Runtime.</param>
public sealed record GpuProbeResult(bool IsAvailable, string? Problem, string OnnxRuntimeVersion, IReadOnlyList<string> Providers);
