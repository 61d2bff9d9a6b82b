using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Images;

namespace Transfer.Caching;

/// <summary>
/// The ML.NET face of a <see cref="BottleneckStore"/>: cached vectors as an <see cref="IDataView"/>. The store itself
/// knows no ML.NET type; this is the one place where its rows meet ML.NET.
/// </summary>
public static class BottleneckStoreDataViewExtensions
{
    /// <summary>
    /// Streams the vectors of <paramref name="rows"/> from disk as an ML.NET <see cref="IDataView"/> with
    /// columns <c>Label</c> (text) and <c>Features</c> (vector of <see cref="float"/> of size <see cref="BottleneckStore.Dimension"/>).
    /// </summary>
    /// <param name="store">The store holding the vectors.</param>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="rows">The images to train on: content hash and label, from the current dataset (labels are not stored in the cache).</param>
    /// <returns>
    /// A data view that reads one segment at a time on each cursor; rows come grouped by segment, not in the order of
    /// <paramref name="rows"/> (shuffle with <c>mlContext.Data.ShuffleRows</c> if the trainer needs it).
    /// </returns>
    /// <exception cref="InvalidOperationException">Some rows are not in the store; the message counts them and names the first.</exception>
    /// <remarks>Buffered vectors are committed first. If a segment becomes corrupt or is deleted while cursoring, the cursor throws <see cref="InvalidDataException"/>; after a prune or clear in this process, <see cref="InvalidOperationException"/>.</remarks>
    public static IDataView LoadFeatures(this BottleneckStore store, MLContext mlContext, IEnumerable<(ContentHash Hash, string Label)> rows)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(mlContext);
        IEnumerable<CachedFeatureRow> features = store.ReadRows(rows);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(CachedFeatureRow));
        schema[CachedFeatureRow.FeaturesColumnName].ColumnType = new VectorDataViewType(NumberDataViewType.Single, store.Dimension);
        return mlContext.Data.LoadFromEnumerable(features, schema);
    }
}
