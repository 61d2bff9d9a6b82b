using System.Diagnostics;
using System.Text.Json.Nodes;
using Transfer.Images;
using Transfer.Pipelines;

namespace Transfer.Benchmarks;

/// <summary>End-to-end training (featurize train and test, train the head, evaluate) with an empty bottleneck cache, then again on the filled cache.</summary>
internal static class CacheBench
{
    public sealed record Run(double Seconds, double FeaturizeSeconds, double TrainSeconds, int CacheHits, int Computed, double? MacroAccuracy);

    public static async Task<(Run Cold, Run Warm)> MeasureAsync(ImageSet train, ImageSet test, string cacheDirectory, string modelPath)
    {
        if (Directory.Exists(cacheDirectory))
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }

        var cold = await RunOnceAsync(train, test, cacheDirectory, null);
        var warm = await RunOnceAsync(train, test, cacheDirectory, modelPath);
        if (cold.CacheHits != 0 || warm.Computed != 0)
        {
            throw new InvalidOperationException($"Cache bench is not cold then warm: cold had {cold.CacheHits} hits, warm computed {warm.Computed} vectors.");
        }

        return (cold, warm);
    }

    public static JsonObject ToJson(Run run) => new()
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
