namespace Transfer.Benchmarks;

/// <summary>Image counts and repetitions for a full or a quick run.</summary>
internal sealed class BenchSettings
{
    public required bool Quick { get; init; }

    /// <summary>Gets the repetitions each throughput figure is the median of (after one warm-up).</summary>
    public required int Repetitions { get; init; }

    /// <summary>Gets the number of 28×28 PNGs featurized per repetition (a multiple of 16, so every raw batch is full).</summary>
    public required int FeaturizeImages { get; init; }

    /// <summary>Gets the number of 640×480 JPEG photos featurized per repetition.</summary>
    public required int PhotoImages { get; init; }

    public required int CacheTrainImages { get; init; }

    public required int CacheTestImages { get; init; }

    /// <summary>Gets the rows of the N × 512 head-training matrix.</summary>
    public required int HeadRows { get; init; }

    public required int HeadRepetitions { get; init; }

    /// <summary>Gets the number of timed single-image predictions (after a warm-up).</summary>
    public required int LatencySamples { get; init; }

    public required int BatchPredictImages { get; init; }

    /// <summary>Gets the image counts featurized in child processes for the peak working set.</summary>
    public required int[] MemoryCounts { get; init; }

    public static BenchSettings Full { get; } = new()
    {
        Quick = false,
        Repetitions = 5,
        FeaturizeImages = 1008,
        PhotoImages = 256,
        CacheTrainImages = 2000,
        CacheTestImages = 500,
        HeadRows = 60_000,
        HeadRepetitions = 1,
        LatencySamples = 300,
        BatchPredictImages = 512,
        MemoryCounts = [5000, 20000],
    };

    public static BenchSettings QuickRun { get; } = new()
    {
        Quick = true,
        Repetitions = 3,
        FeaturizeImages = 48,
        PhotoImages = 24,
        CacheTrainImages = 200,
        CacheTestImages = 60,
        HeadRows = 5000,
        HeadRepetitions = 1,
        LatencySamples = 40,
        BatchPredictImages = 32,
        MemoryCounts = [200], // checks the child-process path only; the 5,000 / 20,000 keys stay null
    };

    /// <summary>Gets the number of distinct Fashion-MNIST images the run needs on disk.</summary>
    public int ImagesNeeded => Math.Max(Math.Max(FeaturizeImages, CacheTrainImages + CacheTestImages), Math.Max(BatchPredictImages, MemoryCounts.DefaultIfEmpty(0).Max()));
}
