using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>Counts of a streaming featurization run.</summary>
/// <param name="Computed">Vectors computed by the backbone.</param>
/// <param name="CacheHits">Vectors read from the feature store.</param>
/// <param name="Skipped">Images left out, with reasons.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public sealed record FeaturizationSummary(int Computed, int CacheHits, IReadOnlyList<SkippedImage> Skipped, TimeSpan Elapsed);
