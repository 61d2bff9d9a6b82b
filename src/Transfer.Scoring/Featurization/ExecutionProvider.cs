using System.Globalization;

namespace Transfer.Featurization;

/// <summary>
/// Where ONNX Runtime runs the backbone: <see cref="Cpu"/> (the default) or <see cref="Cuda"/> on an NVIDIA GPU. CUDA
/// needs the app to reference <c>Microsoft.ML.OnnxRuntime.Gpu</c> instead of the CPU package (docs/GPU.md) and a
/// CUDA 13 runtime; when either is missing, <see cref="Fallback"/> decides between a warning plus CPU and an error.
/// </summary>
public sealed class ExecutionProvider : IEquatable<ExecutionProvider>
{
    private ExecutionProvider(bool isCuda, int deviceId, GpuFallback fallback)
    {
        IsCuda = isCuda;
        DeviceId = deviceId;
        Fallback = fallback;
    }

    /// <summary>Gets the CPU execution provider.</summary>
    public static ExecutionProvider Cpu { get; } = new(false, 0, GpuFallback.Cpu);

    /// <summary>Gets a value indicating whether this is the CUDA execution provider.</summary>
    public bool IsCuda { get; }

    /// <summary>Gets the CUDA device ordinal; 0 for the CPU provider.</summary>
    public int DeviceId { get; }

    /// <summary>Gets what happens when CUDA cannot be used; <see cref="GpuFallback.Cpu"/> for the CPU provider.</summary>
    public GpuFallback Fallback { get; }

    /// <summary>Gets the CUDA execution provider on a device.</summary>
    /// <param name="deviceId">The CUDA device ordinal (0 for the first GPU).</param>
    /// <param name="fallback">What happens when CUDA or the GPU package is missing: by default one warning and the CPU.</param>
    /// <returns>The provider.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceId"/> is negative or <paramref name="fallback"/> is not defined.</exception>
    public static ExecutionProvider Cuda(int deviceId = 0, GpuFallback fallback = GpuFallback.Cpu)
    {
        if (deviceId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(deviceId), deviceId, $"The CUDA device id must be 0 or more, was {deviceId}. Pass 0 for the first GPU.");
        }

        if (!Enum.IsDefined(fallback))
        {
            throw new ArgumentOutOfRangeException(nameof(fallback), fallback, $"GpuFallback must be Cpu or Fail, was {(int)fallback}.");
        }

        return new ExecutionProvider(true, deviceId, fallback);
    }

    /// <summary>Returns <c>CPU</c> or <c>CUDA:deviceId</c> (with <c>, strict</c> when the fallback is <see cref="GpuFallback.Fail"/>).</summary>
    /// <returns>The name.</returns>
    public override string ToString() => IsCuda
        ? string.Create(CultureInfo.InvariantCulture, $"CUDA:{DeviceId}{(Fallback == GpuFallback.Fail ? ", strict" : string.Empty)}")
        : "CPU";

    /// <inheritdoc />
    public bool Equals(ExecutionProvider? other) => other is not null && other.IsCuda == IsCuda && other.DeviceId == DeviceId && other.Fallback == Fallback;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ExecutionProvider);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IsCuda, DeviceId, Fallback);
}
