namespace Transfer.Caching;

/// <summary>
/// A row of the <see cref="Microsoft.ML.IDataView"/> made by <see cref="BottleneckStoreDataViewExtensions.LoadFeatures"/>:
/// a label and its bottleneck vector. Also usable with <c>mlContext.Data.CreateEnumerable&lt;CachedFeatureRow&gt;</c>.
/// </summary>
public sealed class CachedFeatureRow
{
    /// <summary>The name of the label column.</summary>
    public const string LabelColumnName = "Label";

    /// <summary>The name of the features column.</summary>
    public const string FeaturesColumnName = "Features";

    /// <summary>Gets or sets the class label, joined from the caller's dataset (labels are not part of the cache key).</summary>
    public string Label { get; set; } = string.Empty;

    /// <summary>Gets or sets the bottleneck vector, of the store's dimension.</summary>
#pragma warning disable CA1819 // ML.NET maps vector columns to array properties.
    public float[] Features { get; set; } = [];
#pragma warning restore CA1819
}
