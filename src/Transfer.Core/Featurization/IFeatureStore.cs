using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>Where the featurizer looks up and stores feature vectors by image content. <see cref="Caching.BottleneckStore"/> implements it.</summary>
public interface IFeatureStore
{
    /// <summary>Copies the stored vectors of the given images into <paramref name="destination"/> (row <c>i</c> for key <c>i</c>).</summary>
    /// <param name="keys">SHA-256 of each image's encoded bytes.</param>
    /// <param name="destination">keys × dimension floats; rows of missing keys are left as they were.</param>
    /// <returns>The indices (into <paramref name="keys"/>) of the keys not found.</returns>
    IReadOnlyList<int> Lookup(ReadOnlySpan<ContentHash> keys, Span<float> destination);

    /// <summary>Stores a freshly computed vector.</summary>
    /// <param name="key">SHA-256 of the encoded image bytes.</param>
    /// <param name="features">The vector.</param>
    void Add(ContentHash key, ReadOnlySpan<float> features);

    /// <summary>Makes everything added so far durable.</summary>
    void Flush();
}
