using System.Globalization;
using Transfer.Images;

namespace Transfer.Caching;

/// <content>Streaming: the rows of a dataset read from disk one segment at a time.</content>
public sealed partial class BottleneckStore
{
    /// <summary>
    /// Plans the rows of a dataset now and reads them on each enumeration, one segment at a time; rows come grouped by
    /// segment, not in the order of <paramref name="rows"/>. Buffered vectors are committed first.
    /// </summary>
    /// <param name="rows">Content hash and label of each image (labels are not stored in the cache).</param>
    /// <returns>Rows that can be enumerated any number of times; each enumeration reads the segments again.</returns>
    /// <exception cref="InvalidOperationException">Some rows are not in the store; the message counts them and names the first.</exception>
    /// <remarks>
    /// An enumeration throws <see cref="InvalidDataException"/> if a segment becomes corrupt or is deleted meanwhile, and
    /// <see cref="InvalidOperationException"/> after a prune or clear in this process (segment numbers changed).
    /// </remarks>
    internal IEnumerable<CachedFeatureRow> ReadRows(IEnumerable<(ContentHash Hash, string Label)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var plan = new List<PlannedRow>();
        int generation;
        lock (_gate)
        {
            _cache.EnsureNotDisposed();
            CommitLocked();
            generation = _generation;
            int missing = 0;
            ContentHash firstMissing = default;
            foreach ((ContentHash hash, string label) in rows)
            {
                if (_index.TryGetValue(hash, out Location location))
                {
                    plan.Add(new PlannedRow(location.Segment, location.Row, label));
                }
                else if (missing++ == 0)
                {
                    firstMissing = hash;
                }
            }

            if (missing > 0)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{missing} of {missing + plan.Count} rows have no vector in the bottleneck cache for fingerprint \"{Fingerprint}\" under {Directory} (first: {firstMissing}). Featurize them into the cache before loading features."));
            }
        }

        plan.Sort(static (x, y) => x.Segment != y.Segment ? x.Segment.CompareTo(y.Segment) : x.Row.CompareTo(y.Row));
        return new FeatureRows(this, plan, generation);
    }

    private float[] ReadSegmentForCursor(int segment, int generation, string labelForError)
    {
        lock (_gate)
        {
            _cache.EnsureNotDisposed();
            if (generation != _generation)
            {
                throw new InvalidOperationException($"The bottleneck store for fingerprint \"{Fingerprint}\" was pruned or cleared after this data view was created. Call LoadFeatures again.");
            }

            return ReadSegmentLocked(segment) ?? throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Bottleneck cache segment {_segments[segment].Path} (fingerprint \"{Fingerprint}\", a row labelled \"{labelForError}\") became unreadable while training read it: it was corrupt or deleted. Run featurization again; it recomputes the missing vectors."));
        }
    }

    private readonly record struct PlannedRow(int Segment, int Row, string Label);

    /// <summary>Re-enumerable rows: each enumeration (an ML.NET cursor, say) reads the planned segments one by one.</summary>
    private sealed class FeatureRows(BottleneckStore store, List<PlannedRow> plan, int generation) : IEnumerable<CachedFeatureRow>
    {
        public IEnumerator<CachedFeatureRow> GetEnumerator()
        {
            int current = -1;
            float[] values = [];
            foreach (PlannedRow row in plan)
            {
                if (row.Segment != current)
                {
                    values = store.ReadSegmentForCursor(row.Segment, generation, row.Label);
                    current = row.Segment;
                }

                yield return new CachedFeatureRow
                {
                    Label = row.Label,
                    Features = values.AsSpan(row.Row * store.Dimension, store.Dimension).ToArray(),
                };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
