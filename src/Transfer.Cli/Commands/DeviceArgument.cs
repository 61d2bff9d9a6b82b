using Microsoft.Extensions.Logging;
using System.CommandLine;
using System.Globalization;
using Transfer.Cli.Output;
using Transfer.Featurization;

namespace Transfer.Cli.Commands;

/// <summary>
/// <c>--device cpu|cuda[:N]</c> of the commands that run the backbone. CUDA that cannot be used (the tool is built
/// with the CPU ONNX Runtime, or CUDA 13 / cuDNN 9 / the device is missing) does what the library does by default
/// (<see cref="GpuFallback.Cpu"/>): one warning (event 9003 of <see cref="CliLog.Category"/>: stderr at the default
/// verbosity, and <c>--log-file</c>), then the CPU. The check is made once here and the library is asked for the CPU,
/// so the library's own fallback warning (one per ONNX Runtime session) does not repeat it.
/// </summary>
internal static class DeviceArgument
{
    /// <summary>The values offered for completion (<c>cuda:N</c> is accepted too).</summary>
    public static readonly IReadOnlyList<string> Values = ["cpu", "cuda"];

    /// <summary>Creates the option (default <c>cpu</c>).</summary>
    public static Option<string> Create()
    {
        return CliInputs.Completing(new Option<string>("--device")
        {
            Description = "Where ONNX Runtime runs the backbone: cpu, or cuda (cuda:N for GPU N). When CUDA cannot be used (a tool built with the CPU ONNX Runtime, no CUDA 13 / cuDNN 9, no such GPU) it warns once on stderr and runs on the CPU (docs/GPU.md).",
            DefaultValueFactory = _ => "cpu",
        }, Values);
    }

    /// <summary>Reads <c>--device</c>.</summary>
    public static ExecutionProvider Parse(string value)
    {
        string v = value.Trim().ToLowerInvariant();
        if (v == "cpu")
        {
            return ExecutionProvider.Cpu;
        }

        if (v is "cuda" or "gpu")
        {
            return ExecutionProvider.Cuda();
        }

        if (v.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(v.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            return ExecutionProvider.Cuda(id);
        }

        throw new CliException(ExitCode.Usage, $"--device must be cpu, cuda or cuda:N (N the GPU number, from 0), was \"{value}\".");
    }

    /// <summary>
    /// Reads <c>--device</c> and, for CUDA, checks now whether it can be used: if not, logs one warning and asks the
    /// library for the CPU. Returns the provider that will run, which is the one to ask for.
    /// </summary>
    public static ExecutionProvider Resolve(CliConsole console, string value)
    {
        var requested = Parse(value);
        if (!requested.IsCuda)
        {
            return requested;
        }

        var probe = GpuSupport.ProbeCuda(requested.DeviceId);
        if (probe.IsAvailable)
        {
            return requested;
        }

        CliLog.DeviceFellBackToCpu(console.LoggerFactory.CreateLogger(CliLog.Category), value, requested.ToString(), probe.Problem ?? string.Empty);
        return ExecutionProvider.Cpu;
    }
}
