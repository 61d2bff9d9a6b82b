using System.Numerics.Tensors;

namespace Transfer.Search;

/// <content>Every pair of indexed vectors above a similarity: near-duplicates within the collection.</content>
public sealed partial class VectorIndex
{
    /// <summary>
    /// The pairs of indexed vectors whose cosine similarity is at least <paramref name="minimumScore"/>, most similar
    /// first. Exact: each vector is compared with every later one (n(n − 1)/2 dot products, spread over the cores), so
    /// the time grows with the square of the count (12.5 million dot products for 5,000 vectors; docs/AUDIT.md).
    /// Memory is bounded: each vector keeps at most <paramref name="maximumPerVector"/> partners (its most similar later ones).
    /// </summary>
    /// <param name="minimumScore">The smallest cosine similarity reported, in (−1, 1].</param>
    /// <param name="maximumPerVector">The most partners kept per vector (the most similar); at least 1.</param>
    /// <param name="cancellationToken">Stops the search between vectors.</param>
    /// <returns>The pairs, by score (highest first), then by position.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minimumScore"/> is not in (−1, 1], or <paramref name="maximumPerVector"/> is below 1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IReadOnlyList<SimilarPair> FindPairs(float minimumScore, int maximumPerVector = 10, CancellationToken cancellationToken = default)
    {
        if (!(minimumScore > -1f && minimumScore <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(minimumScore), minimumScore, $"The minimum similarity must be in (-1, 1], was {minimumScore}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maximumPerVector, 1);
        var found = new List<SimilarPair>?[Count];
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(0, Count, options, i =>
        {
            var row = vectors.AsSpan(i * Dimension, Dimension);
            List<SimilarPair>? best = null;
            for (int j = i + 1; j < Count; j++)
            {
                float score = TensorPrimitives.Dot(row, vectors.AsSpan(j * Dimension, Dimension));
                if (score < minimumScore || (best?.Count == maximumPerVector && !(score > best[^1].Score)))
                {
                    continue;
                }

                best ??= [];
                int at = best.Count;
                while (at > 0 && score > best[at - 1].Score)
                {
                    at--;
                }

                best.Insert(at, new SimilarPair(i, j, score));
                if (best.Count > maximumPerVector)
                {
                    best.RemoveAt(maximumPerVector);
                }
            }

            found[i] = best;
        });

        return [.. found.Where(f => f is not null).SelectMany(f => f!).OrderByDescending(p => p.Score).ThenBy(p => p.First).ThenBy(p => p.Second)];
    }
}
