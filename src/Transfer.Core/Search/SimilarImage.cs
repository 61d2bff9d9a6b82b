namespace Transfer.Search;

/// <summary>One answer of <see cref="VectorIndex.Search(ReadOnlySpan{float}, int)"/>: an indexed vector and its cosine similarity to the query.</summary>
/// <param name="Index">The vector's position in the index (the order it was added in).</param>
/// <param name="Key">The key it was added with (e.g. the image's path).</param>
/// <param name="Score">The cosine similarity, from -1 to 1 (1: the same direction from the index's centre).</param>
public sealed record SimilarImage(int Index, string Key, float Score);
