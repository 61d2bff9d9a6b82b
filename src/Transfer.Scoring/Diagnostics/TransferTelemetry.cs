namespace Transfer.Diagnostics;

/// <summary>
/// The names under which Transfer publishes metrics (<see cref="System.Diagnostics.Metrics.Meter"/>) and traces
/// (<see cref="System.Diagnostics.ActivitySource"/>): subscribe with OpenTelemetry's <c>AddMeter(TransferTelemetry.MeterName)</c>
/// and <c>AddSource(TransferTelemetry.ActivitySourceName)</c>, or with a <see cref="System.Diagnostics.Metrics.MeterListener"/> /
/// <see cref="System.Diagnostics.ActivityListener"/>. Nothing is measured or allocated for a listener that is not attached.
/// docs/OBSERVABILITY.md lists every instrument, span and tag.
/// </summary>
public static class TransferTelemetry
{
    /// <summary>The name of every Transfer meter: <c>Transfer</c>.</summary>
    public const string MeterName = "Transfer";

    /// <summary>The name of every Transfer activity source: <c>Transfer</c>.</summary>
    public const string ActivitySourceName = "Transfer";

    /// <summary>Counter <c>transfer.images.featurized</c> ({image}): images run through the backbone by a featurizer (bottleneck cache hits are not counted).</summary>
    public const string ImagesFeaturized = "transfer.images.featurized";

    /// <summary>Histogram <c>transfer.featurization.duration</c> (s): the wall time of one featurization call (a whole image set or stream).</summary>
    public const string FeaturizationDuration = "transfer.featurization.duration";

    /// <summary>Counter <c>transfer.cache.hits</c> ({image}): images whose features a bottleneck cache lookup found.</summary>
    public const string CacheHits = "transfer.cache.hits";

    /// <summary>Counter <c>transfer.cache.misses</c> ({image}): images a bottleneck cache lookup did not find (their features are then computed).</summary>
    public const string CacheMisses = "transfer.cache.misses";

    /// <summary>Counter <c>transfer.predictions</c> ({image}): images a <see cref="Models.Predictor"/> classified.</summary>
    public const string Predictions = "transfer.predictions";

    /// <summary>Histogram <c>transfer.prediction.duration</c> (s): the wall time of one <see cref="Models.Predictor"/> call (one image, or a whole batch).</summary>
    public const string PredictionDuration = "transfer.prediction.duration";
}
