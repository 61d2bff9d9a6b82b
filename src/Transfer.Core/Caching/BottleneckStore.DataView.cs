using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Transfer.Caching;

/// <content>Streaming: the rows of a dataset read from disk one segment at a time, as an ML.NET data view.</content>
public sealed partial class BottleneckStore
{
    /// <summary>
    /// Streams the vectors of <paramref name="rows"/> from disk as an ML.NET <see cref="IDataView"/> with
    /// columns <c>Label</c> (text) and <c>Features</c> (vector of <see cref="float"/> of size <see cref="Dimension"/>).
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="rows">The images to train on: content hash and label, from the current dataset (labels are not stored in the cache).</param>
    /// <returns>
    /// A data view that reads one segment at a time on each cursor; rows come grouped by segment, not in the order of
    /// <paramref name="rows"/> (shuffle with <c>mlContext.Data.ShuffleRows</c> if the trainer needs it).
    /// </returns>
    /// <exception cref="InvalidOperationException">Some rows are not in the store; the message counts them and names the first.</exception>
    /// <remarks>Buffered vectors are committed first. If a segment becomes corrupt or is deleted while cursoring, the cursor throws <see cref="InvalidDataException"/>; after a prune or clear in this process, <see cref="InvalidOperationException"/>.</remarks>
    public IDataView LoadFeatures(MLContext mlContext, IEnumerable<(ContentHash Hash, string Label)> rows)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
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
        SchemaDefinition schema = SchemaDefinition.Create(typeof(CachedFeatureRow));
        schema[CachedFeatureRow.FeaturesColumnName].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Dimension);
        return mlContext.Data.LoadFromEnumerable(new FeatureRows(this, plan, generation), schema);
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

    /// <summary>Re-enumerable rows for ML.NET: each enumeration (cursor) reads the planned segments one by one.</summary>
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
