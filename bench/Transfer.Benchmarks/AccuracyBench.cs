using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Pipelines;

namespace Transfer.Benchmarks;

/// <summary>
/// Test accuracy on one train/test split (folders with one sub-folder per class), in one process, each run timed end to
/// end: ML.NET's own path (<c>DnnFeaturizeImage(ResNet18)</c> + <c>LbfgsMaximumEntropy</c>), Transfer with the previous
/// defaults pinned (ResNet18, <see cref="MaximumEntropyHeadTrainer"/>), and Transfer with whatever its defaults are now.
/// <c>dotnet run -c Release --project bench/Transfer.Benchmarks -- accuracy --train DIR --test DIR [--name NAME] [--out FILE] [--skip-mlnet]</c>.
/// </summary>
internal static class AccuracyBench
{
    public const string Command = "accuracy";

    private const string Usage = "Usage: Transfer.Benchmarks accuracy --train <folder> --test <folder> [--name <dataset name>] [--out <file>] [--skip-mlnet]";

    /// <summary>The <c>accuracy</c> subcommand. Exit code 0 when every run finished, 1 when one failed (its entry is null), 2 for a bad argument.</summary>
    public static async Task<int> RunAsync(string[] args, string repoRoot)
    {
        string? trainDir = null, testDir = null, name = null, outPath = null;
        bool skipMlNet = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--train" when i + 1 < args.Length:
                    trainDir = args[++i];
                    break;
                case "--test" when i + 1 < args.Length:
                    testDir = args[++i];
                    break;
                case "--name" when i + 1 < args.Length:
                    name = args[++i];
                    break;
                case "--out" when i + 1 < args.Length:
                    outPath = args[++i];
                    break;
                case "--skip-mlnet":
                    skipMlNet = true;
                    break;
                default:
                    Console.Error.WriteLine($"Unknown argument \"{args[i]}\". {Usage}");
                    return 2;
            }
        }

        if (trainDir is null || testDir is null)
        {
            Console.Error.WriteLine($"--train and --test are required. {Usage}");
            return 2;
        }

        name ??= DefaultName(trainDir);
        outPath ??= Path.Combine(repoRoot, "bench", "results", $"accuracy-{FileSafe(name)}.json");
        ImageSet train, test;
        try
        {
            train = ImageSet.FromDirectory(trainDir);
            test = ImageSet.FromDirectory(testDir);
        }
        catch (DatasetException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        var clock = Stopwatch.StartNew();
        void Log(string message) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");
        var machine = Machine();
        Log($"Accuracy on \"{name}\": {train.Count} train / {test.Count} test images, {train.Classes.Count} classes, {Environment.ProcessorCount} cores, {machine["processor_name"]}");
        var notes = new JsonArray();
        int failures = 0;
        var runs = new JsonObject();
        var table = new List<(string Run, Metrics? Metrics, string Detail)>();

        async Task Measure(string run, string detail, Func<Task<Metrics>> body)
        {
            Log($"{run}: {detail}");
            GC.Collect();
            try
            {
                var metrics = await body();
                runs[run] = metrics.ToJson();
                table.Add((run, metrics, metrics.Backbone is null ? string.Empty : $"{metrics.Backbone}, {metrics.Head}"));
                Log($"{run}: micro {metrics.Micro:F4}, macro {metrics.Macro:F4}, log-loss {metrics.LogLoss:F4}, {metrics.Seconds:F1} s");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures++;
                runs[run] = null;
                notes.Add($"Run \"{run}\" failed: {e.GetType().Name}: {e.Message}");
                table.Add((run, null, $"failed: {e.GetType().Name}"));
                Console.Error.WriteLine(e);
            }
        }

        if (skipMlNet)
        {
            runs["mlnet"] = null;
            notes.Add("--skip-mlnet: the ML.NET path was not run.");
        }
        else
        {
            await Measure("mlnet", "LoadImages → ResizeImages(224, 224) → ExtractPixels → DnnFeaturizeImage(ResNet18) → MapValueToKey → LbfgsMaximumEntropy → MapKeyToValue", () => Task.FromResult(MlNet(train, test)));
        }

        await Measure("transfer_before", "TransferPipeline, ResNet18 + MaximumEntropyHeadTrainer pinned, no cache", () => TransferAsync(train, test, pinPrevious: true));
        await Measure("transfer_defaults", "TransferPipeline with the library's defaults, no cache", () => TransferAsync(train, test, pinPrevious: false));

        double? gain = runs["mlnet"] is JsonObject m && runs["transfer_defaults"] is JsonObject d
            ? Stats.Round(((double)d["macro_accuracy"]! - (double)m["macro_accuracy"]!) * 100, 2)
            : null;
        var root = new JsonObject
        {
            ["dataset"] = name,
            ["train_images"] = train.Count,
            ["test_images"] = test.Count,
            ["machine"] = machine,
            ["runs"] = runs,
            ["macro_gain_vs_mlnet_points"] = gain,
            ["notes"] = notes,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        await File.WriteAllTextAsync(outPath, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);

        Console.WriteLine();
        Console.WriteLine($"{name}: {train.Count} train / {test.Count} test images, {train.Classes.Count} classes");
        Console.WriteLine($"{"run",-18}  {"micro",6}  {"macro",6}  {"log-loss",8}  {"seconds",8}  backbone, head");
        Console.WriteLine($"{new string('-', 18)}  {new string('-', 6)}  {new string('-', 6)}  {new string('-', 8)}  {new string('-', 8)}  {new string('-', 14)}");
        foreach (var (run, metrics, detail) in table)
        {
            Console.WriteLine(metrics is { } x
                ? $"{run,-18}  {x.Micro,6:F4}  {x.Macro,6:F4}  {x.LogLoss,8:F4}  {x.Seconds,8:F1}  {detail}"
                : $"{run,-18}  {"-",6}  {"-",6}  {"-",8}  {"-",8}  {detail}");
        }

        Console.WriteLine(gain is { } g ? $"macro-accuracy gain of the defaults over ML.NET: {g:+0.00;-0.00;0.00} points" : "macro-accuracy gain over ML.NET: not measured");
        Log($"Wrote {Path.GetFullPath(outPath)}");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// ML.NET's path as its users write it (the 2019 DnnFeaturizeImage samples): every default, the same image files.
    /// ResizeImages(224, 224) keeps ML.NET's default resizing (IsoCrop, centre anchor). Timed from loading the rows to the metrics.
    /// </summary>
    private static Metrics MlNet(ImageSet train, ImageSet test)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed: 1);
        var trainData = ml.Data.LoadFromEnumerable(Rows(train));
        var testData = ml.Data.LoadFromEnumerable(Rows(test));
        var pipeline = ml.Transforms.LoadImages("Image", null, nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", 224, 224))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Append(ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(trainData);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(testData));
        clock.Stop();
        (model as IDisposable)?.Dispose();
        return new Metrics(metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss, clock.Elapsed.TotalSeconds, null, null, null, 0, null);
    }

    private static async Task<Metrics> TransferAsync(ImageSet train, ImageSet test, bool pinPrevious)
    {
        var clock = Stopwatch.StartNew();
        var builder = TransferPipeline.For(train);
        if (pinPrevious)
        {
            // The defaults before issue 18: ResNet18, ML.NET's maximum-entropy head, the stretch resize, no augmentation.
            builder = builder.WithBackbone(Backbones.Backbones.ResNet18).WithPreprocessing(ImagePreprocessing.Default with { ResizeMode = ResizeMode.Stretch })
                .WithoutBottleneckCache().TrainHead(new MaximumEntropyHeadTrainer());
        }
        else
        {
            builder = builder.WithoutBottleneckCache();
        }

        using var result = await builder.TestOn(test).Build().RunAsync();
        clock.Stop();
        var evaluation = result.Evaluation ?? throw new InvalidOperationException("The pipeline returned no evaluation.");
        var manifest = result.Model.Manifest;
        return new Metrics(evaluation.MicroAccuracy, evaluation.MacroAccuracy, evaluation.LogLoss, clock.Elapsed.TotalSeconds, manifest.Backbone, manifest.HeadDescription, manifest.Preprocessing, result.AugmentedViews, result.TestTimeAugmentation.ToString());
    }

    /// <summary>What the other bench JSON records about the machine, plus AVX-512 and VNNI.</summary>
    private static JsonObject Machine()
    {
        var machine = BenchReport.MachineInfo();
        string flags = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? string.Empty : string.Empty;
        machine["avx512"] = flags.Length > 0 ? flags.Split(' ', ':', '\t').Contains("avx512f") : Avx512F.IsSupported;
        machine["vnni"] = Int8Bench.CpuHasVnni();
        return machine;
    }

    private static List<ImageRow> Rows(ImageSet images) => [.. images.Entries.Select(e => new ImageRow { ImagePath = e.Path!, Label = e.Label })];

    /// <summary>"flowers" for <c>.../flowers/train</c>; otherwise the folder's own name.</summary>
    private static string DefaultName(string trainDir)
    {
        var dir = new DirectoryInfo(Path.GetFullPath(trainDir.TrimEnd('/', '\\')));
        return dir.Name.Equals("train", StringComparison.OrdinalIgnoreCase) && dir.Parent is { } parent ? parent.Name : dir.Name;
    }

    private static string FileSafe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));

    private sealed record Metrics(double Micro, double Macro, double LogLoss, double Seconds, string? Backbone, string? Head, string? Preprocessing, int AugmentedViews, string? TestTimeAugmentation)
    {
        public JsonObject ToJson()
        {
            var json = new JsonObject
            {
                ["micro_accuracy"] = Finite(Micro, 4),
                ["macro_accuracy"] = Finite(Macro, 4),
                ["log_loss"] = Finite(LogLoss, 4),
                ["seconds"] = Finite(Seconds, 1),
            };
            if (Backbone is not null)
            {
                json["backbone"] = Backbone;
                json["head"] = Head;
                json["preprocessing"] = Preprocessing;
                json["augmented_views"] = AugmentedViews;
                json["test_time_augmentation"] = TestTimeAugmentation;
            }

            return json;
        }

        /// <summary>JSON has no NaN or infinity: null instead.</summary>
        private static double? Finite(double value, int digits) => double.IsFinite(value) ? Math.Round(value, digits) : null;
    }

    /// <summary>One row of ML.NET's input: an image file and its class name.</summary>
    public sealed class ImageRow
    {
        public string ImagePath { get; set; } = string.Empty;

        public string Label { get; set; } = string.Empty;
    }
}
