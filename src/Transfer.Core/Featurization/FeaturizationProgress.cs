namespace Transfer.Featurization;

/// <summary>Progress of a featurization run.</summary>
/// <param name="Completed">Images done so far (computed, read from the cache, or skipped).</param>
/// <param name="Total">Images in the run.</param>
/// <param name="Skipped">Images skipped as unreadable so far.</param>
/// <param name="CacheHits">Images whose features came from the bottleneck cache so far.</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record FeaturizationProgress(int Completed, int Total, int Skipped, int CacheHits, TimeSpan Elapsed)
{
    /// <summary>Gets the images per second so far.</summary>
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? Completed / Elapsed.TotalSeconds : 0;
}
