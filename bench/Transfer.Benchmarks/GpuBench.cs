using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.Benchmarks;

/// <summary>
/// Featurization on CUDA device 0 against the CPU (<c>Transfer.Benchmarks gpu [--images N] [--out file]</c>, run by
/// scripts/gpu-check.sh on a build with -p:TransferOnnxRuntime=GpuLinux): PNGs and JPEG photos, default options each
/// (CPU batch 8, GPU batch 32, decoding on every core), 1 warm-up + 3 interleaved rounds, and the largest feature
/// difference between the two.
/// </summary>
internal static class GpuBench
{
    public const string Command = "gpu";

    public static async Task<int> RunAsync(string[] args, string repoRoot)
    {
        int count = 2000;
        string outPath = Path.Combine(repoRoot, "bench", "results", "gpu.json");
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--images" && i + 1 < args.Length)
            {
                count = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--out" && i + 1 < args.Length)
            {
                outPath = args[++i];
            }
            else
            {
                Console.Error.WriteLine($"Unknown argument \"{args[i]}\". Usage: Transfer.Benchmarks gpu [--images N] [--out <file>]");
                return 2;
            }
        }

        var probe = GpuSupport.ProbeCuda(0);
        Console.WriteLine($"ONNX Runtime {probe.OnnxRuntimeVersion}, providers: {string.Join(", ", probe.Providers)}; {Environment.ProcessorCount} CPU cores");
        if (!probe.IsAvailable)
        {
            Console.Error.WriteLine($"No usable GPU: {probe.Problem}");
            return 3;
        }

        var notes = new List<string>();
        var data = BenchData.Create(count, Math.Max(64, count / 4), repoRoot, notes);
        notes.ForEach(n => Console.WriteLine($"  note: {n}"));
        var result = new JsonObject
        {
            ["started_utc"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["onnxruntime"] = probe.OnnxRuntimeVersion,
            ["processor_count"] = Environment.ProcessorCount,
            ["images"] = data.Source,
        };
        try
        {
            using var cpu = new Featurizer(Backbones.Backbones.ResNet18);
            var gpuClock = Stopwatch.StartNew();
            using var gpu = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { ExecutionProvider = ExecutionProvider.Cuda(0, GpuFallback.Fail) });
            result["gpu_session_ms"] = Stats.Round(gpuClock.Elapsed.TotalMilliseconds, 1);
            result["gpu_batch"] = gpu.BatchSize;
            result["cpu_batch"] = cpu.BatchSize;
            foreach (var (name, set) in new[] { ("png_28x28", data.PngSet(count)), ("jpeg_640x480", ImageSet.FromEntries(data.Photos, BenchData.ClassNames)) })
            {
                var cpuRuns = new List<double>();
                var gpuRuns = new List<double>();
                float worst = 0;
                for (int round = -1; round < 3; round++)
                {
                    var c = await TimeAsync(cpu, set);
                    var g = await TimeAsync(gpu, set);
                    if (round < 0)
                    {
                        worst = MaxDifference(c.Features, g.Features);
                        continue;
                    }

                    cpuRuns.Add(c.PerSecond);
                    gpuRuns.Add(g.PerSecond);
                }

                double cpuMedian = Stats.Median(cpuRuns), gpuMedian = Stats.Median(gpuRuns);
                result[name] = new JsonObject
                {
                    ["images"] = set.Count,
                    ["cpu_images_per_s"] = Stats.Round(cpuMedian, 1),
                    ["gpu_images_per_s"] = Stats.Round(gpuMedian, 1),
                    ["gpu_vs_cpu"] = Stats.Round(gpuMedian / cpuMedian, 2),
                    ["max_abs_feature_difference"] = worst,
                    ["cpu_runs"] = new JsonArray([.. cpuRuns.Select(r => (JsonNode)Stats.Round(r, 1))]),
                    ["gpu_runs"] = new JsonArray([.. gpuRuns.Select(r => (JsonNode)Stats.Round(r, 1))]),
                };
                Console.WriteLine($"{name,-14} {set.Count,6} images: CPU {cpuMedian,8:F1} images/s   GPU {gpuMedian,8:F1} images/s   GPU/CPU {gpuMedian / cpuMedian,6:F2}×   max |GPU-CPU| feature {worst:E2}");
            }

            // The GPU's ceiling without decoding: blank pre-decoded batches straight into an ONNX Runtime CUDA session.
            int batch = gpu.BatchSize;
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            options.AppendExecutionProvider_CUDA(0);
            using var session = new InferenceSession(Backbones.Backbones.ResNet18.BuildFeaturizerModel(), options);
            var pixels = new float[batch * 4 * 224 * 224];
            var features = new float[batch * gpu.FeatureLength];
            using var input = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 4, 224, 224]);
            using var output = OrtValue.CreateTensorValueFromMemory(features, [batch, gpu.FeatureLength]);
            using var runOptions = new RunOptions();
            session.Run(runOptions, ["Pixels"], [input], ["Features"], [output]);
            var clock = Stopwatch.StartNew();
            int runs = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                session.Run(runOptions, ["Pixels"], [input], ["Features"], [output]);
                runs++;
            }

            double inferenceOnly = runs * batch / clock.Elapsed.TotalSeconds;
            result["gpu_inference_only_images_per_s"] = Stats.Round(inferenceOnly, 1);
            Console.WriteLine($"GPU inference only (batch {batch}, no decoding, TF32 allowed): {inferenceOnly:F1} images/s");
        }
        finally
        {
            data.Delete();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        await File.WriteAllTextAsync(outPath, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"Wrote {Path.GetFullPath(outPath)}");
        return 0;
    }

    private static async Task<(double PerSecond, float[] Features)> TimeAsync(Featurizer featurizer, ImageSet images)
    {
        var clock = Stopwatch.StartNew();
        var result = await featurizer.FeaturizeAsync(images);
        return (images.Count / clock.Elapsed.TotalSeconds, result.Features.Values);
    }

    private static float MaxDifference(float[] a, float[] b)
    {
        if (a.Length != b.Length)
        {
            throw new InvalidOperationException($"CPU gave {a.Length} feature values, GPU {b.Length}.");
        }

        float worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }

        return worst;
    }
}
