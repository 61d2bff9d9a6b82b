using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;

// The suite exercises POSIX behaviour (SIGKILL, RLIMIT_FSIZE, chmod, symbolic links).
[assembly: UnsupportedOSPlatform("windows")]

namespace Transfer.ReliabilityTests;

/// <summary>
/// The child process of the kill and full-disk tests (<c>dotnet Transfer.ReliabilityTests.dll MODE …</c>). Each mode
/// prints one line per step and ends with <c>ok …</c> or <c>failed Type: message</c>, exit code 0; any other end is
/// a crash the tests report.
/// </summary>
public static partial class Program
{
    private const int RlimitFsize = 1;
    private const int Sigxfsz = 25;

    /// <summary>Runs one worker mode.</summary>
    /// <param name="args">The mode and its arguments.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> Main(string[] args)
    {
        Console.Out.Flush();
        try
        {
            switch (args[0])
            {
                case "featurize":
                    await FeaturizeAsync(args[1], args[2], fileSizeLimit: null);
                    break;
                case "featurize-full":
                    await FeaturizeAsync(args[1], args[2], long.Parse(args[3], CultureInfo.InvariantCulture));
                    break;
                case "save-loop":
                    SaveLoop(args[1], args[2]);
                    break;
                case "save-full":
                    SaveFull(args[1], args[2], long.Parse(args[3], CultureInfo.InvariantCulture));
                    break;
                default:
                    Console.WriteLine($"unknown mode {args[0]}");
                    return 2;
            }
        }
        catch (Exception e) when (e is IOException or InvalidImageException or OperationCanceledException)
        {
            Console.WriteLine($"failed {e.GetType().Name}: {e.Message}");
        }

        return 0;
    }

    private static async Task FeaturizeAsync(string imagesDir, string cacheDir, long? fileSizeLimit)
    {
        var images = ImageSet.FromDirectory(imagesDir);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { BatchSize = 4 });
        using var cache = BottleneckCache.Open(cacheDir, new BottleneckCacheOptions { SegmentSize = 4 });
        var store = cache.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
        if (fileSizeLimit is long limit)
        {
            LimitFileSize(limit);
        }

        Console.WriteLine("ready");
        var progress = new LineProgress();
        var result = await featurizer.FeaturizeAsync(images, store, progress);
        Console.WriteLine($"ok computed={result.Computed} hits={result.CacheHits}");
    }

    private static void SaveLoop(string modelPath, string target)
    {
        using var model = TransferModel.Load(modelPath);
        for (int i = 0; ; i++)
        {
            model.Save(target);
            Console.WriteLine($"saved {i}");
        }
    }

    private static void SaveFull(string modelPath, string target, long limit)
    {
        using var model = TransferModel.Load(modelPath);
        model.ToMlNet(); // writes the backbone's ONNX temp file before the limit, so the zip write is what hits it
        LimitFileSize(limit);
        Console.WriteLine("ready");
        model.Save(target);
        Console.WriteLine("ok saved");
    }

    /// <summary>Sets RLIMIT_FSIZE, so a write past <paramref name="bytes"/> fails with EFBIG as on a full disk, and ignores SIGXFSZ (whose default action kills the process).</summary>
    private static void LimitFileSize(long bytes)
    {
        if (Signal(Sigxfsz, 1) == -1)
        {
            throw new InvalidOperationException($"signal(SIGXFSZ, SIG_IGN) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        var limit = new RLimit { Current = (ulong)bytes, Maximum = ulong.MaxValue };
        if (SetRLimit(RlimitFsize, ref limit) != 0)
        {
            limit.Maximum = (ulong)bytes;
            if (SetRLimit(RlimitFsize, ref limit) != 0)
            {
                throw new InvalidOperationException($"setrlimit(RLIMIT_FSIZE) failed: errno {Marshal.GetLastPInvokeError()}.");
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, ref RLimit limit);

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    private static partial nint Signal(int signal, nint handler);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    private sealed class LineProgress : IProgress<FeaturizationProgress>
    {
        public void Report(FeaturizationProgress value)
        {
            Console.WriteLine($"progress {value.Completed}");
            Console.Out.Flush();
        }
    }
}
