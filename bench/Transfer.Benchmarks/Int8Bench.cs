using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;

namespace Transfer.Benchmarks;

/// <summary>
/// The int8 backbone (<see cref="Backbone.QuantizeAsync"/>, default options) against the fp32 one, in one run: raw ONNX
/// Runtime on pre-decoded pixels at batch 1/8/16 for both graphs, and Transfer's featurizer end to end on each, interleaved
/// rounds, medians. <c>int8 accuracy [--entropy] [--before]</c> measures instead test accuracy with the default head (L-BFGS) on Fashion-MNIST 5,000/2,000.
/// Run alone: <c>dotnet run -c Release --project bench/Transfer.Benchmarks -- int8 [accuracy [--train 5000] [--test 2000] [--entropy] [--before]] [--quick] [--out file]</c>.
/// </summary>
internal static class Int8Bench
{
    public const string Command = "int8";
    private static readonly int[] Batches = [1, 8, 16];

    /// <summary>The <c>int8</c> subcommand: its own images and report (default <c>bench/results/int8.json</c> or <c>int8-accuracy.json</c>).</summary>
    public static async Task<int> RunAsync(string[] args, string repoRoot)
    {
        bool quick = args.Contains("--quick");
        bool accuracy = args.Contains("accuracy");
        int outIndex = Array.IndexOf(args, "--out");
        string outPath = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Path.Combine(repoRoot, "bench", "results", accuracy ? "int8-accuracy.json" : "int8.json");
        var settings = quick ? BenchSettings.QuickRun : BenchSettings.Full;
        var report = new BenchReport(quick);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Log(string message) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");
        var notes = new List<string>();
        int trainCount = Option("--train", 5000), testCount = Option("--test", 2000);
        var data = BenchData.Create(accuracy ? trainCount + testCount : ImageCount(settings) + 500, 0, repoRoot, notes);
        notes.ForEach(report.Note);
        try
        {
            if (accuracy)
            {
                await AccuracyAsync(report, data, trainCount, testCount, args.Contains("--entropy"), args.Contains("--before"), Log);
            }
            else
            {
                await MeasureAsync(report, data, settings, Log);
            }
        }
        finally
        {
            data.Delete();
        }

        report.Root["total_seconds"] = Stats.Round(clock.Elapsed.TotalSeconds, 1);
        report.PrintTable();
        int Option(string name, int fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        report.Write(outPath);
        Log($"Wrote {Path.GetFullPath(outPath)}");
        return 0;
    }

    /// <summary>The int8 section: sets <c>int8_images_per_s</c> and <c>int8_vs_fp32_raw_ort</c>.</summary>
    public static async Task MeasureAsync(BenchReport report, BenchData data, BenchSettings settings, Action<string> log)
    {
        var fp32 = Backbones.Backbones.ResNet18;
        var calibration = data.PngSet(Math.Min(500, data.Pngs.Count));
        log($"Int8: quantizing ResNet18 (defaults) on {calibration.Count} PNGs");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var int8 = await fp32.QuantizeAsync(calibration);
        double quantizeSeconds = started.Elapsed.TotalSeconds;
        log($"Int8: {int8.Quantization} in {quantizeSeconds:F0} s");

        int count = ImageCount(settings);
        var images = data.PngSet(count, skip: data.Pngs.Count >= 500 + count ? 500 : 0); // not the calibration images when there are enough
        var pixels = Decode(images.Entries, fp32.Width, fp32.Height);
        var contenders = new List<FeaturizationBench.Contender>();
        Dictionary<string, Throughput> results;
        try
        {
            contenders.AddRange(Raw("raw_fp32", fp32.BuildFeaturizerModel(), pixels, images.Count, fp32));
            contenders.AddRange(Raw("raw_int8", int8.BuildFeaturizerModel(), pixels, images.Count, fp32));
            contenders.Add(Featurize("transfer_fp32", fp32, images));
            contenders.Add(Featurize("transfer_int8", int8, images));
            log($"Int8: {images.Count} PNGs, 1 warm-up + {settings.Repetitions} interleaved rounds (raw ORT fp32/int8 b1/b8/b16, Transfer fp32/int8)");
            results = await FeaturizationBench.InterleavedAsync(contenders, settings.Repetitions, log);
        }
        finally
        {
            contenders.ForEach(c => c.Dispose());
        }

        int bestFp32 = Batches.MaxBy(b => results[$"raw_fp32_b{b}"].MedianPerSecond);
        int bestInt8 = Batches.MaxBy(b => results[$"raw_int8_b{b}"].MedianPerSecond);
        double rawFp32 = results[$"raw_fp32_b{bestFp32}"].MedianPerSecond;
        double rawInt8 = results[$"raw_int8_b{bestInt8}"].MedianPerSecond;
        double featurizeInt8 = results["transfer_int8"].MedianPerSecond;
        double featurizeFp32 = results["transfer_fp32"].MedianPerSecond;
        report.Set("int8_images_per_s", featurizeInt8);
        report.Set("int8_vs_fp32_raw_ort", featurizeInt8 / rawFp32);
        report.Details["int8"] = new JsonObject
        {
            ["definition"] = "int8_images_per_s: Transfer's Featurizer (defaults, no cache) on the int8 backbone, end to end; int8_vs_fp32_raw_ort: that over raw ONNX Runtime on the fp32 graph at its best batch (the issue's target is 2.0)",
            ["quantization"] = int8.Quantization!.ToString(),
            ["quantize_seconds"] = Stats.Round(quantizeSeconds, 1),
            ["session"] = "ORT_ENABLE_ALL, sequential, 2 intra-op threads; the QDQ graph fuses to 22 QLinearConv + 9 QLinearAdd + uint8 MaxPool (session.qdqisint8allowed made no difference: activations are uint8)",
            ["cpu_vnni"] = CpuHasVnni(),
            ["raw_fp32"] = ByBatch(results, "raw_fp32", bestFp32),
            ["raw_int8"] = ByBatch(results, "raw_int8", bestInt8),
            ["transfer_fp32"] = results["transfer_fp32"].ToJson(),
            ["transfer_int8"] = results["transfer_int8"].ToJson(),
            ["raw_int8_vs_raw_fp32"] = Stats.Round(rawInt8 / rawFp32, 3),
            ["transfer_int8_vs_transfer_fp32"] = Stats.Round(featurizeInt8 / featurizeFp32, 3),
            ["int8_vs_fp32_raw_ort"] = Stats.Round(featurizeInt8 / rawFp32, 3),
        };
        report.Row("int8", $"raw ORT fp32, best batch {bestFp32}", $"{rawFp32:F1} images/s");
        report.Row("int8", $"raw ORT int8, best batch {bestInt8}", $"{rawInt8:F1} images/s ({rawInt8 / rawFp32:F2}× fp32)");
        report.Row("int8", "Transfer featurizer fp32 / int8", $"{featurizeFp32:F1} / {featurizeInt8:F1} images/s ({featurizeInt8 / featurizeFp32:F2}×)");
        report.Row("int8", "int8 featurizer / fp32 raw ORT best", $"{featurizeInt8 / rawFp32:F2}×");
    }

    /// <summary>Test accuracy with the default head (L-BFGS) on fp32 and int8 features: Fashion-MNIST 5,000 train / 2,000 test.</summary>
    private static async Task AccuracyAsync(BenchReport report, BenchData data, int trainCount, int testCount, bool entropy, bool before, Action<string> log)
    {
        var train = data.PngSet(trainCount);
        var test = data.PngSet(testCount, skip: trainCount);
        var fp32 = Backbones.Backbones.ResNet18;
        var results = new JsonObject { ["train"] = train.Count, ["test"] = test.Count, ["head"] = new MlNetHeadTrainer().Describe() };
        var variants = new List<(string Name, QuantizationOptions? Options)>
        {
            ("fp32", null),
            ("int8 (defaults: MSE ranges, weight-scale search)", new QuantizationOptions()),
        };
        if (before)
        {
            variants.Add(("int8 percentile 0.01/99.99, |w|max scales (the defaults before)", new QuantizationOptions { Method = CalibrationMethod.Percentile, SearchWeightScales = false }));
        }

        if (entropy)
        {
            variants.Add(("int8 entropy", new QuantizationOptions { Method = CalibrationMethod.Entropy }));
        }

        FeatureMatrix? fp32Test = null;
        foreach (var (name, options) in variants)
        {
            var backbone = options is null ? fp32 : await fp32.QuantizeAsync(train, options);
            log($"Accuracy: {name}: featurizing {train.Count} + {test.Count} PNGs");
            using var featurizer = new Featurizer(backbone);
            var trainFeatures = await featurizer.FeaturizeAsync(train);
            var testFeatures = await featurizer.FeaturizeAsync(test);
            var head = new MlNetHeadTrainer().Train(trainFeatures.Features, null, trainFeatures.Classes);
            var p = head.PredictProbabilities(testFeatures.Features);
            int k = trainFeatures.Classes.Count, correct = 0;
            for (int i = 0; i < testFeatures.Features.Count; i++)
            {
                correct += TensorPrimitives.IndexOfMax(p.AsSpan(i * k, k)) == testFeatures.Features.Labels[i] ? 1 : 0;
            }

            double acc = correct / (double)testFeatures.Features.Count;
            fp32Test ??= testFeatures.Features;
            double cosine = 0;
            for (int i = 0; i < fp32Test.Count; i++)
            {
                cosine += TensorPrimitives.CosineSimilarity(fp32Test.Row(i), testFeatures.Features.Row(i));
            }

            cosine /= fp32Test.Count;
            results[name] = new JsonObject { ["test_accuracy"] = Stats.Round(acc, 4), ["mean_cosine_to_fp32_test"] = Stats.Round(cosine, 4), ["quantization"] = backbone.Quantization?.ToString() };
            report.Row("int8", $"test accuracy, {name}, FMNIST {train.Count}/{test.Count}", $"{acc:F4} (cosine to fp32 {cosine:F4})");
            log($"Accuracy: {name}: {acc:F4}, mean cosine to fp32 {cosine:F4}");
        }

        report.Details["int8_accuracy"] = results;
    }

    /// <summary>Whether the CPU has VNNI (u8·s8 dot products in 32 bits); without it ONNX Runtime's int8 GEMM is far less ahead of fp32.</summary>
    internal static bool? CpuHasVnni()
    {
        if (!File.Exists("/proc/cpuinfo"))
        {
            return null;
        }

        string flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? string.Empty;
        return flags.Contains("avx512_vnni", StringComparison.Ordinal) || flags.Contains("avx_vnni", StringComparison.Ordinal);
    }

    private static int ImageCount(BenchSettings settings) => settings.Quick ? 48 : 256;

    private static IEnumerable<FeaturizationBench.Contender> Raw(string name, byte[] model, float[] pixels, int count, Backbone shape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, IntraOpNumThreads = FeaturizationBench.RawOrtThreads };
        var session = new InferenceSession(model, options);
        int perImage = 4 * shape.Width * shape.Height;
        bool first = true;
        foreach (int batch in Batches)
        {
            int runs = count / batch;
            var features = new float[batch * shape.FeatureLength];
            yield return new FeaturizationBench.Contender($"{name}_b{batch}", runs * batch, first ? session : null)
            {
                RunOnce = () =>
                {
                    for (int i = 0; i < runs; i++)
                    {
                        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(i * batch * perImage, batch * perImage), [batch, 4, shape.Height, shape.Width]);
                        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, features.AsMemory(), [batch, shape.FeatureLength]);
                        using var runOptions = new RunOptions();
                        session.Run(runOptions, ["Pixels"], [input], ["Features"], [output]);
                    }

                    return Task.CompletedTask;
                },
            };
            first = false;
        }
    }

    private static FeaturizationBench.Contender Featurize(string name, Backbone backbone, ImageSet images)
    {
        var featurizer = new Featurizer(backbone);
        return new FeaturizationBench.Contender(name, images.Count, featurizer)
        {
            RunOnce = async () =>
            {
                var result = await featurizer.FeaturizeAsync(images);
                if (result.Computed != images.Count)
                {
                    throw new InvalidOperationException($"{name} featurized {result.Computed} of {images.Count} images.");
                }
            },
        };
    }

    private static JsonObject ByBatch(Dictionary<string, Throughput> results, string name, int best) => new()
    {
        ["best_batch"] = best,
        ["images_per_s"] = Stats.Round(results[$"{name}_b{best}"].MedianPerSecond),
        ["by_batch"] = new JsonObject(Batches.Select(b => KeyValuePair.Create(b.ToString(CultureInfo.InvariantCulture), (JsonNode?)results[$"{name}_b{b}"].ToJson()))),
    };

    private static float[] Decode(IReadOnlyList<ImageEntry> images, int width, int height)
    {
        int size = 4 * width * height;
        var pixels = new float[images.Count * size];
        Parallel.For(0, images.Count, i =>
            ImageDecoder.DecodeToPlanes(images[i].ReadBytes().Span, images[i].Name, width, height, ImagePreprocessing.Default, pixels.AsSpan(i * size, size)));
        return pixels;
    }
}
