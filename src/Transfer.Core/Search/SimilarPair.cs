namespace Transfer.Search;

/// <summary>Two indexed vectors at least as similar as a threshold (<see cref="VectorIndex.FindPairs"/>): near-duplicate images.</summary>
/// <param name="First">The earlier-added vector's position in the index.</param>
/// <param name="Second">The later-added vector's position (always above <paramref name="First"/>).</param>
/// <param name="Score">Their cosine similarity, from −1 to 1.</param>
public sealed record SimilarPair(int First, int Second, float Score);
