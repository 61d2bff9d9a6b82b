namespace Transfer.Featurization;

/// <summary>Where the featurizer looks up and stores feature vectors by image content (the bottleneck cache implements it).</summary>
public interface IFeatureStore
{
    /// <summary>Copies the stored vector for an image's SHA-256 into <paramref name="destination"/>.</summary>
    /// <param name="contentHash">SHA-256 of the encoded image bytes (32 bytes).</param>
    /// <param name="destination">Where the vector goes.</param>
    /// <returns><see langword="true"/> when a vector was found and copied.</returns>
    bool TryGet(ReadOnlySpan<byte> contentHash, Span<float> destination);

    /// <summary>Stores a freshly computed vector.</summary>
    /// <param name="contentHash">SHA-256 of the encoded image bytes (32 bytes).</param>
    /// <param name="features">The vector.</param>
    void Add(ReadOnlySpan<byte> contentHash, ReadOnlySpan<float> features);

    /// <summary>Makes everything added so far durable.</summary>
    void Flush();
}
