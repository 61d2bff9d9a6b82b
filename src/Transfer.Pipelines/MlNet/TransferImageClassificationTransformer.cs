using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Caching;
using Transfer.Heads.Neural;

namespace Transfer.Pipelines.MlNet;

/// <summary>
/// What <see cref="TransferImageClassificationTrainer.Fit"/> returns: a chain of ML.NET's own transforms (image-bytes
/// decode, resize, pixels, the ONNX backbone, the head) plus what training did. Saved with <c>mlContext.Model.Save</c>,
/// it is written as that plain ML.NET chain, so <c>mlContext.Model.Load</c> gives it back (as a
/// <c>TransformerChain</c>) in any process that deploys Transfer.Pipelines.dll, with no registration call.
/// </summary>
public sealed class TransferImageClassificationTransformer : ITransformer, IDisposable
{
    private readonly ITransformer _chain;
    private bool _disposed;

    internal TransferImageClassificationTransformer(ITransformer chain, IReadOnlyList<string> classes, TrainingHistory? history, int cacheHits, int computed, int missingLabels, CacheStatistics? cacheStatistics, string headDescription)
    {
        _chain = chain;
        Classes = classes;
        History = history;
        CacheHits = cacheHits;
        FeaturesComputed = computed;
        RowsWithoutLabel = missingLabels;
        CacheStatistics = cacheStatistics;
        HeadDescription = headDescription;
    }

    /// <summary>Gets the class names in key order (the order of the <c>Score</c> vector).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets the head's per-epoch metrics.</summary>
    public TrainingHistory? History { get; }

    /// <summary>Gets how many feature vectors (training and validation) came from the bottleneck cache in <c>WorkspacePath</c>.</summary>
    public int CacheHits { get; }

    /// <summary>Gets how many feature vectors the backbone computed.</summary>
    public int FeaturesComputed { get; }

    /// <summary>Gets how many training rows were left out because their label key was missing (0).</summary>
    public int RowsWithoutLabel { get; }

    /// <summary>Gets the bottleneck cache's counters after training, or <see langword="null"/> without a <c>WorkspacePath</c>.</summary>
    public CacheStatistics? CacheStatistics { get; }

    /// <summary>Gets the head trainer and its options, as text.</summary>
    public string HeadDescription { get; }

    /// <summary>Gets the ML.NET chain that scores (what <c>mlContext.Model.Save</c> writes).</summary>
    public ITransformer ScoringChain => _chain;

    /// <inheritdoc />
    public bool IsRowToRowMapper => _chain.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => _chain.GetOutputSchema(inputSchema);

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _chain.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _chain.Transform(input);
    }

    /// <inheritdoc />
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Written as the inner ML.NET chain: loading needs no Transfer loader.
        _chain.Save(ctx);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        (_chain as IDisposable)?.Dispose();
    }
}
