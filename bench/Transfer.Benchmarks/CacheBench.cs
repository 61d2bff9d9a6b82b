using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Transfer.Images;
using Transfer.Pipelines;

namespace Transfer.Benchmarks;

/// <summary>End-to-end training (featurize train and test, train the head, evaluate) with an empty bottleneck cache, then again on the filled cache.</summary>
internal static class CacheBench
{
    /// <summary>The command that runs this section alone: <c>cache [--quick]</c>.</summary>
    public const string Command = "cache";

    /// <summary>
    /// Warm vs cold end-to-end training alone, at the full run's counts (2,000 + 500 PNGs; <paramref name="quick"/>: 200 + 60):
    /// the full run's section 2 without the half hour of the others.
    /// </summary>
    public static async Task<int> RunAsync(bool quick, string repoRoot)
    {
        var cacheSettings = quick ? BenchSettings.QuickRun : BenchSettings.Full;
        var cacheNotes = new List<string>();
        var cacheData = BenchData.Create(cacheSettings.CacheTrainImages + cacheSettings.CacheTestImages, 0, repoRoot, cacheNotes);
        cacheNotes.ForEach(n => Console.WriteLine($"  note: {n}"));
        try
        {
            var cacheTrain = cacheData.PngSet(cacheSettings.CacheTrainImages);
            var cacheTest = cacheData.PngSet(cacheSettings.CacheTestImages, skip: cacheSettings.CacheTrainImages);
            Console.WriteLine($"Training end to end: {cacheTrain.Count} train + {cacheTest.Count} test PNGs ({cacheData.Source}), cold then warm cache, {Environment.ProcessorCount} cores");
            var cacheResult = await MeasureAsync(cacheTrain, cacheTest, Path.Combine(cacheData.Root, "cache"), Path.Combine(cacheData.Root, "model.zip"));
            var (coldRun, warmRun) = (cacheResult.Cold, cacheResult.Warm);
            Console.WriteLine($"  cold (median of {cacheResult.ColdSeconds.Count}) {coldRun.Seconds:F2} s (featurize {coldRun.FeaturizeSeconds:F2} s, head {coldRun.TrainSeconds:F2} s), macro-accuracy {coldRun.MacroAccuracy:F4}; runs {string.Join(", ", cacheResult.ColdSeconds.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s");
            Console.WriteLine($"  warm (median of {cacheResult.WarmSeconds.Count}) {warmRun.Seconds:F2} s (featurize {warmRun.FeaturizeSeconds:F2} s, head {warmRun.TrainSeconds:F2} s), macro-accuracy {warmRun.MacroAccuracy:F4}; runs {string.Join(", ", cacheResult.WarmSeconds.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))} s");
            Console.WriteLine($"  warm vs cold: {cacheResult.Speedup:F2}× end to end");
            return 0;
        }
        finally
        {
            cacheData.Delete(); // the PNGs and the cache it filled
        }
    }

    public sealed record Run(double Seconds, double FeaturizeSeconds, double TrainSeconds, int CacheHits, int Computed, double? MacroAccuracy);

    /// <summary>The median run of each kind, by end-to-end time, and every run's end-to-end seconds.</summary>
    public sealed record Result(Run Cold, Run Warm, IReadOnlyList<double> ColdSeconds, IReadOnlyList<double> WarmSeconds)
    {
        public double Speedup => Cold.Seconds / Warm.Seconds;
    }

    /// <summary>Cold runs, each on a freshly emptied cache, then warm reruns on the cache the last cold run filled.</summary>
    public static async Task<Result> MeasureAsync(ImageSet train, ImageSet test, string cacheDirectory, string modelPath, int coldRuns = 3, int warmRuns = 5)
    {
        var colds = new List<Run>();
        for (int i = 0; i < coldRuns; i++)
        {
            if (Directory.Exists(cacheDirectory))
            {
                Directory.Delete(cacheDirectory, recursive: true);
            }

            colds.Add(await RunOnceAsync(train, test, cacheDirectory, null));
        }

        var warms = new List<Run>();
        for (int i = 0; i < warmRuns; i++)
        {
            warms.Add(await RunOnceAsync(train, test, cacheDirectory, i == 0 ? modelPath : null));
        }

        if (colds.Any(r => r.CacheHits != 0) || warms.Any(r => r.Computed != 0))
        {
            throw new InvalidOperationException($"Cache bench is not cold then warm: cold runs had {colds.Sum(r => r.CacheHits)} hits, warm runs computed {warms.Sum(r => r.Computed)} vectors.");
        }

        return new Result(MedianRun(colds), MedianRun(warms), [.. colds.Select(r => r.Seconds)], [.. warms.Select(r => r.Seconds)]);
    }

    public static JsonObject ToJson(Result result) => new()
    {
        ["cold"] = ToJson(result.Cold),
        ["warm"] = ToJson(result.Warm),
        ["cold_runs_seconds"] = new JsonArray([.. result.ColdSeconds.Select(s => (JsonNode)Stats.Round(s, 3))]),
        ["warm_runs_seconds"] = new JsonArray([.. result.WarmSeconds.Select(s => (JsonNode)Stats.Round(s, 3))]),
    };

    /// <summary>The run whose end-to-end time is the median (the lower middle one for an even count).</summary>
    private static Run MedianRun(List<Run> runs) => runs.OrderBy(r => r.Seconds).ElementAt((runs.Count - 1) / 2);

    private static JsonObject ToJson(Run run) => new()
    {
        ["seconds"] = Stats.Round(run.Seconds, 3),
        ["featurize_seconds"] = Stats.Round(run.FeaturizeSeconds, 3),
        ["head_train_seconds"] = Stats.Round(run.TrainSeconds, 3),
        ["cache_hits"] = run.CacheHits,
        ["computed"] = run.Computed,
        ["macro_accuracy"] = run.MacroAccuracy is { } a ? Stats.Round(a, 4) : null,
    };

    private static async Task<Run> RunOnceAsync(ImageSet train, ImageSet test, string cacheDirectory, string? modelPath)
    {
        GC.Collect();
        var clock = Stopwatch.StartNew();
        using var result = await TransferPipeline.For(train)
            .CacheBottlenecks(cacheDirectory)
            .TestOn(test)
            .Build()
            .RunAsync();
        clock.Stop();
        if (modelPath is not null)
        {
            result.Model.Save(modelPath);
        }

        int hits = result.TrainFeatures.CacheHits + (result.TestFeatures?.CacheHits ?? 0);
        int computed = result.TrainFeatures.Computed + (result.TestFeatures?.Computed ?? 0);
        return new Run(clock.Elapsed.TotalSeconds, result.FeaturizeTime.TotalSeconds, result.TrainTime.TotalSeconds, hits, computed, result.Evaluation?.MacroAccuracy);
    }
}
