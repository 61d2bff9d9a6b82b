using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Transfer.Featurization;

/// <summary>Finds out whether ONNX Runtime's CUDA execution provider can run in this process, and if not, what is missing.</summary>
public static class GpuSupport
{
    /// <summary>The name ONNX Runtime gives its CUDA execution provider.</summary>
    public const string CudaProviderName = "CUDAExecutionProvider";

    /// <summary>The MSBuild property (in this repository's <c>Directory.Packages.props</c>) that swaps the CPU package for the GPU one.</summary>
    public const string GpuBuildSwitch = "-p:TransferOnnxRuntime=Gpu";

    // The shared libraries ONNX Runtime 1.32's CUDA provider loads (readelf -d libonnxruntime_providers_cuda.so), and what each comes from.
    private static readonly (string Library, string Source)[] CudaLibraries =
    [
        ("libcuda.so.1", "the NVIDIA driver"),
        ("libcudart.so.13", "the CUDA 13 runtime"),
        ("libcublas.so.13", "CUDA 13 cuBLAS"),
        ("libcublasLt.so.13", "CUDA 13 cuBLASLt"),
        ("libcurand.so.10", "CUDA 13 cuRAND"),
    ];

    private static readonly ConcurrentDictionary<int, GpuProbeResult> Probes = new();

    /// <summary>Gets the version of the native ONNX Runtime loaded in this process.</summary>
    public static string OnnxRuntimeVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>
    /// Checks, once per device per process, whether the CUDA execution provider can be added to an ONNX Runtime
    /// session: the GPU build of ONNX Runtime is loaded and its CUDA libraries load. Whether the device itself exists
    /// shows only when a session is created on it (<c>Featurizer</c> reports that the same way).
    /// </summary>
    /// <param name="deviceId">The CUDA device ordinal.</param>
    /// <returns>What was found; <see cref="GpuProbeResult.Problem"/> names what is missing and the fix.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceId"/> is negative.</exception>
    public static GpuProbeResult ProbeCuda(int deviceId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        return Probes.GetOrAdd(deviceId, Probe);
    }

    private static GpuProbeResult Probe(int deviceId)
    {
        string version = OnnxRuntimeVersion;
        var providers = OrtEnv.Instance().GetAvailableProviders();
        if (!providers.Contains(CudaProviderName, StringComparer.Ordinal))
        {
            return new GpuProbeResult(
                false,
                $"The loaded ONNX Runtime {version} is a build without CUDA (its providers: {string.Join(", ", providers)}): the GPU package is missing. "
                + $"Reference Microsoft.ML.OnnxRuntime.Gpu (or .Gpu.Linux) 1.32.0 instead of Microsoft.ML.OnnxRuntime; in this repository build with {GpuBuildSwitch}.",
                version,
                providers);
        }

        try
        {
            using var options = new SessionOptions();
            options.AppendExecutionProvider_CUDA(deviceId);
            return new GpuProbeResult(true, null, version, providers);
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            var missing = MissingLibraries();
            string what = missing.Count > 0
                ? $"Missing: {string.Join(", ", missing)}. Install the NVIDIA driver, CUDA 13 and cuDNN 9, or add their lib folders to LD_LIBRARY_PATH."
                : "Its CUDA libraries (CUDA 13, cuDNN 9) and the NVIDIA driver must be installed and on the library path.";
            return new GpuProbeResult(false, $"ONNX Runtime {version} has the CUDA execution provider but could not load it: {Sentence(e.Message)} {what}", version, providers);
        }
    }

    private static string Sentence(string message)
    {
        message = message.Trim();
        return message.EndsWith('.') ? message : message + ".";
    }

    private static List<string> MissingLibraries()
    {
        var missing = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            return missing;
        }

        foreach (var (library, source) in CudaLibraries)
        {
            if (NativeLibrary.TryLoad(library, out var handle))
            {
                NativeLibrary.Free(handle);
            }
            else
            {
                missing.Add($"{library} ({source})");
            }
        }

        return missing;
    }
}
