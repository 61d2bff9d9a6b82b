using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>The features of an image set: one row per usable image, in the set's order.</summary>
public sealed class FeaturizationResult
{
    internal FeaturizationResult(FeatureMatrix features, IReadOnlyList<ImageEntry> images, IReadOnlyList<string> classes, IReadOnlyList<SkippedImage> skipped, int cacheHits, int computed, TimeSpan elapsed)
    {
        Features = features;
        Images = images;
        Classes = classes;
        Skipped = skipped;
        CacheHits = cacheHits;
        Computed = computed;
        Elapsed = elapsed;
    }

    /// <summary>Gets the features and class indices (rows align with <see cref="Images"/>).</summary>
    public FeatureMatrix Features { get; }

    /// <summary>Gets the images that were featurized, in row order.</summary>
    public IReadOnlyList<ImageEntry> Images { get; }

    /// <summary>Gets the class names (class index <c>i</c> is <c>Classes[i]</c>).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets the images left out, with reasons.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Gets how many feature vectors came from the bottleneck cache.</summary>
    public int CacheHits { get; }

    /// <summary>Gets how many feature vectors were computed by the backbone.</summary>
    public int Computed { get; }

    /// <summary>Gets the wall-clock time of the run.</summary>
    public TimeSpan Elapsed { get; }
}
