using System.Diagnostics.Metrics;

namespace Transfer.Diagnostics;

/// <summary>The scoring package's instruments and spans (names in <see cref="TransferTelemetry"/>).</summary>
internal static class ScoringTelemetry
{
    /// <summary>The span of one <see cref="Models.Predictor"/> call.</summary>
    public const string PredictSpan = "transfer.predict";

    public static readonly Counter<long> Predictions = Instrumentation.Meter.CreateCounter<long>(TransferTelemetry.Predictions, "{image}", "Images classified by a Predictor.");

    public static readonly Histogram<double> PredictionDuration = Instrumentation.Meter.CreateHistogram(TransferTelemetry.PredictionDuration, "s", "Wall time of one Predictor call (one image or a batch).", tags: null, advice: Instrumentation.Seconds);
}
