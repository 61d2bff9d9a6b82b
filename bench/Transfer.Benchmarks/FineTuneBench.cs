using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Transfer.FineTuning;
using Transfer.Heads.Neural;
using Transfer.Images;

namespace Transfer.Benchmarks;

/// <summary>
/// Training throughput of fine-tuning (<see cref="FineTuner"/>, the default <c>resnet18-ms</c>): images a second through
/// the tuned layers' forward and backward passes and the optimizer steps, over whole epochs, for the last stage
/// (<c>fine_tune_images_per_s</c>) and the last block alone; with how much CPU the process got meanwhile, since this
/// is the figure a shared machine bends most. Activation caching is timed apart.
/// Run alone: <c>dotnet run -c Release --project bench/Transfer.Benchmarks -- fine-tune [--images 160] [--epochs 2] [--out file]</c>
/// (default <c>bench/results/fine-tune.json</c>).
/// </summary>
internal static class FineTuneBench
{
    public const string Command = "fine-tune";

    public static async Task<int> RunAsync(string[] args, string repoRoot)
    {
        int Option(string name, int fallback) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        int outIndex = Array.IndexOf(args, "--out");
        string outPath = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : Path.Combine(repoRoot, "bench", "results", "fine-tune.json");
        var report = new BenchReport(quick: false);
        var clock = Stopwatch.StartNew();
        void Log(string message) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");
        var notes = new List<string>();
        int images = Option("--images", 160);
        var data = BenchData.Create(images, 0, repoRoot, notes);
        notes.ForEach(report.Note);
        try
        {
            await MeasureAsync(report, data.PngSet(images), Option("--epochs", 2), Log);
        }
        finally
        {
            data.Delete();
        }

        report.Root["total_seconds"] = Stats.Round(clock.Elapsed.TotalSeconds, 1);
        report.PrintTable();
        report.Write(outPath);
        Log($"Wrote {Path.GetFullPath(outPath)}");
        return 0;
    }

    /// <summary>The fine-tuning section: sets <c>fine_tune_images_per_s</c> (last stage) and <c>fine_tune_last_block_images_per_s</c>.</summary>
    public static async Task MeasureAsync(BenchReport report, ImageSet images, int epochs, Action<string> log)
    {
        var details = new JsonObject
        {
            ["backbone"] = Backbones.Backbones.Default.Name,
            ["images"] = images.Count,
            ["epochs"] = epochs,
            ["options"] = "FineTuneOptions defaults (batch 32, AdamW, intra-op threads = cores) but every epoch run (patience = epochs) and no mirrored view; no activation cache, so caching_seconds is the trunk's cold cost",
        };
        foreach (var layers in new[] { TunedLayers.LastStage, TunedLayers.LastBlock })
        {
            log($"Fine-tuning {layers}: {images.Count} images, {epochs} epochs");
            var options = new FineTuneOptions { Layers = layers, Epochs = epochs, EarlyStopping = new EarlyStopping { Patience = epochs }, MirroredViews = false };
            using var process = Process.GetCurrentProcess();
            var wall = Stopwatch.StartNew();
            TimeSpan? trainingCpu = null;
            TimeSpan trainingWall = default;
            var progress = new Progress(p =>
            {
                if (p is { Stage: FineTuneStage.Training, Epoch: 1, Batch: 1 } && trainingCpu is null)
                {
                    process.Refresh();
                    (trainingCpu, trainingWall) = (process.TotalProcessorTime, wall.Elapsed); // after the first batch: JIT and allocation are behind
                }
            });
            var result = await new FineTuner(options).TuneAsync(Backbones.Backbones.Default, images, progress: progress);
            process.Refresh();
            double coresUsed = (process.TotalProcessorTime - trainingCpu!.Value).TotalSeconds / (wall.Elapsed - trainingWall).TotalSeconds;
            var s = result.Summary;
            double trainSeconds = result.History.Epochs.Sum(e => e.Elapsed.TotalSeconds);
            string key = layers == TunedLayers.LastStage ? "last_stage" : "last_block";
            details[key] = new JsonObject
            {
                ["images_per_s"] = Stats.Round(s.ImagesPerSecond, 2),
                ["ms_per_image"] = Stats.Round(1000 / s.ImagesPerSecond, 1),
                ["tuned_weights"] = s.TunedParameters,
                ["train_images"] = s.TrainImages,
                ["caching_seconds"] = Stats.Round(s.CachingTime.TotalSeconds, 1),
                ["caching_ms_per_image"] = Stats.Round(1000 * s.CachingTime.TotalSeconds / images.Count, 1),
                ["epoch_seconds"] = new JsonArray([.. result.History.Epochs.Select(e => (JsonNode)Stats.Round(e.Elapsed.TotalSeconds, 1))]),
                ["cpu_cores_used"] = Stats.Round(coresUsed, 2), // process CPU time / wall time while training: below the core count on a shared machine
                ["images_per_cpu_s"] = Stats.Round(s.ImagesPerSecond / coresUsed, 2), // roughly comparable across load; × cores for an idle machine
            };
            report.Set(layers == TunedLayers.LastStage ? "fine_tune_images_per_s" : "fine_tune_last_block_images_per_s", s.ImagesPerSecond);
            report.Row("fine-tune", $"{layers}, {s.TunedParameters:N0} weights, forward + backward + AdamW", $"{s.ImagesPerSecond:F1} images/s ({1000 / s.ImagesPerSecond:F0} ms/image; {trainSeconds:F0} s for {result.History.Epochs.Count} epochs incl. validation; {coresUsed:F2} cores used)");
            report.Row("fine-tune", $"{layers}: caching the activations (trunk, cold)", $"{1000 * s.CachingTime.TotalSeconds / images.Count:F0} ms/image");
        }

        report.Details["fine_tune"] = details;
    }

    /// <summary>Reports on the calling thread.</summary>
    private sealed class Progress(Action<FineTuneProgress> report) : IProgress<FineTuneProgress>
    {
        public void Report(FineTuneProgress value) => report(value);
    }
}
