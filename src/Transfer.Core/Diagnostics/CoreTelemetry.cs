using System.Diagnostics.Metrics;

namespace Transfer.Diagnostics;

/// <summary>The training package's instruments and spans: featurization and the bottleneck cache (names in <see cref="TransferTelemetry"/>).</summary>
internal static class CoreTelemetry
{
    /// <summary>The span of one featurization call.</summary>
    public const string FeaturizeSpan = "transfer.featurize";

    public static readonly Counter<long> ImagesFeaturized = Instrumentation.Meter.CreateCounter<long>(TransferTelemetry.ImagesFeaturized, "{image}", "Images run through the backbone (bottleneck cache hits are not counted).");

    public static readonly Histogram<double> FeaturizationDuration = Instrumentation.Meter.CreateHistogram(TransferTelemetry.FeaturizationDuration, "s", "Wall time of one featurization call.", tags: null, advice: Instrumentation.Seconds);

    public static readonly Counter<long> CacheHits = Instrumentation.Meter.CreateCounter<long>(TransferTelemetry.CacheHits, "{image}", "Images whose features a bottleneck cache lookup found.");

    public static readonly Counter<long> CacheMisses = Instrumentation.Meter.CreateCounter<long>(TransferTelemetry.CacheMisses, "{image}", "Images a bottleneck cache lookup did not find.");
}
