using System.Numerics.Tensors;
using Transfer.Featurization;

namespace Transfer.Search;

/// <summary>
/// Exact cosine search over feature vectors (bottlenecks of a backbone): each vector is centred on a mean and scaled to
/// unit length when added, so a query costs one dot product per vector — vectorised by System.Numerics.Tensors, spread
/// over the cores in blocks, each keeping only its own top K (memory per query: K per block, not one score per vector).
/// Centring on the collection's mean (<see cref="Build(FeatureMatrix, IReadOnlyList{string})"/>) makes the cosine
/// measure how two images differ from the typical one rather than their shared ReLU offset. Add vectors from one thread;
/// search from any number once adding is done.
/// </summary>
public sealed partial class VectorIndex
{
    /// <summary>The smallest length a centred vector is divided by.</summary>
    private const float Epsilon = 1e-12f;

    /// <summary>Vectors per block of a parallel search.</summary>
    private const int BlockSize = 16_384;

    private readonly float[] mean;
    private readonly List<string> keys = [];
    private float[] vectors;

    /// <summary>Creates an empty index for vectors of <paramref name="mean"/>'s length, centred on it.</summary>
    /// <param name="mean">The centre (all zeros for plain cosine similarity).</param>
    /// <param name="capacity">The number of vectors to make room for.</param>
    /// <exception cref="ArgumentException">The mean is empty or not finite, or the capacity is negative.</exception>
    public VectorIndex(ReadOnlySpan<float> mean, int capacity = 0)
    {
        if (mean.IsEmpty || !TensorPrimitives.IsFiniteAll(mean))
        {
            throw new ArgumentException($"The mean must be a non-empty vector of finite numbers (had {mean.Length} values).", nameof(mean));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        this.mean = mean.ToArray();
        vectors = new float[(long)capacity * mean.Length <= Array.MaxLength ? capacity * mean.Length : 0];
    }

    /// <summary>Gets the vector length.</summary>
    public int Dimension => mean.Length;

    /// <summary>Gets the number of vectors indexed.</summary>
    public int Count => keys.Count;

    /// <summary>Indexes every row of <paramref name="features"/>, centred on their mean.</summary>
    /// <param name="features">The vectors.</param>
    /// <param name="keys">One key per row (e.g. image paths).</param>
    /// <returns>The index.</returns>
    /// <exception cref="ArgumentException">The keys do not match the rows, or there are no rows.</exception>
    public static VectorIndex Build(FeatureMatrix features, IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(keys);
        if (features.Count == 0 || keys.Count != features.Count)
        {
            throw new ArgumentException($"An index needs one key per vector and at least one vector; had {features.Count} vectors and {keys.Count} keys.", nameof(keys));
        }

        var index = new VectorIndex(Mean(features), features.Count);
        for (int i = 0; i < features.Count; i++)
        {
            index.Add(keys[i], features.Values.AsSpan(i * features.Dimension, features.Dimension));
        }

        return index;
    }

    /// <summary>The mean of the rows (in double precision): the centre <see cref="Build"/> uses, and the similarity heads'.</summary>
    internal static float[] Mean(FeatureMatrix features)
    {
        var mean = new double[features.Dimension];
        for (int i = 0; i < features.Count; i++)
        {
            var row = features.Values.AsSpan(i * features.Dimension, features.Dimension);
            for (int d = 0; d < row.Length; d++)
            {
                mean[d] += row[d];
            }
        }

        return [.. mean.Select(v => (float)(v / Math.Max(1, features.Count)))];
    }

    /// <summary>Adds a vector.</summary>
    /// <param name="key">Its key, returned with it by a search.</param>
    /// <param name="vector">The vector, <see cref="Dimension"/> values.</param>
    /// <exception cref="ArgumentException">The vector has the wrong length or a value that is not finite.</exception>
    public void Add(string key, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (vector.Length != Dimension || !TensorPrimitives.IsFiniteAll(vector))
        {
            throw new ArgumentException($"Vector \"{key}\" must have {Dimension} finite values (had {vector.Length}{(vector.Length == Dimension ? ", not all finite" : string.Empty)}).", nameof(vector));
        }

        long needed = (long)(Count + 1) * Dimension;
        if (needed > vectors.Length)
        {
            long grown = Math.Min(Math.Max(needed, (long)vectors.Length * 2), (long)Array.MaxLength / Dimension * Dimension);
            if (grown < needed)
            {
                throw new InvalidOperationException($"The index is full at {Count:N0} vectors of {Dimension} floats (one array holds at most {Array.MaxLength:N0} floats); split the collection over several indexes.");
            }

            Array.Resize(ref vectors, (int)grown);
        }

        Normalize(vector, vectors.AsSpan(Count * Dimension, Dimension));
        keys.Add(key);
    }

    /// <summary>The <paramref name="top"/> indexed vectors most similar to <paramref name="query"/>, most similar first (ties: the earlier added first).</summary>
    /// <param name="query">A vector of <see cref="Dimension"/> values (centred and normalised like the indexed ones).</param>
    /// <param name="top">How many to return (fewer when the index holds fewer).</param>
    /// <returns>The matches.</returns>
    /// <exception cref="ArgumentException">The query has the wrong length or is not finite, or <paramref name="top"/> is below 1.</exception>
    public IReadOnlyList<SimilarImage> Search(ReadOnlySpan<float> query, int top)
    {
        if (query.Length != Dimension || !TensorPrimitives.IsFiniteAll(query))
        {
            throw new ArgumentException($"The query must have {Dimension} finite values (had {query.Length}).", nameof(query));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        var q = new float[Dimension];
        Normalize(query, q);
        int k = Math.Min(top, Count);
        int blocks = (Count + BlockSize - 1) / BlockSize;
        var partial = new (int Index, float Score)[blocks][];
        Parallel.For(0, blocks, b =>
        {
            int start = b * BlockSize, end = Math.Min(Count, start + BlockSize);
            var best = new List<(int Index, float Score)>(k + 1);
            for (int i = start; i < end; i++)
            {
                float score = TensorPrimitives.Dot(q, vectors.AsSpan(i * Dimension, Dimension));
                if (best.Count == k && !(score > best[^1].Score))
                {
                    continue;
                }

                int at = best.Count;
                while (at > 0 && score > best[at - 1].Score)
                {
                    at--;
                }

                best.Insert(at, (i, score));
                if (best.Count > k)
                {
                    best.RemoveAt(k);
                }
            }

            partial[b] = [.. best];
        });

        return [.. partial.SelectMany(p => p).OrderByDescending(m => m.Score).ThenBy(m => m.Index).Take(k).Select(m => new SimilarImage(m.Index, keys[m.Index], m.Score))];
    }

    private void Normalize(ReadOnlySpan<float> vector, Span<float> destination)
    {
        TensorPrimitives.Subtract(vector, mean, destination);
        TensorPrimitives.Divide(destination, Math.Max(TensorPrimitives.Norm(destination), Epsilon), destination);
    }
}
