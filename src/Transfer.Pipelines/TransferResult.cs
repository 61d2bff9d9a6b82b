using Transfer.Caching;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads.Neural;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Pipelines;

/// <summary>What a pipeline run produced: the model, its evaluation, and what happened on the way. Dispose it to release the model.</summary>
public sealed class TransferResult : IDisposable
{
    internal TransferResult(TransferModel model, EvaluationResult? evaluation, FeaturizationResult train, FeaturizationResult? test, IReadOnlyList<SkippedImage> skipped, TimeSpan featurizeTime, TimeSpan trainTime, TrainingHistory? history = null, CacheStatistics? cacheStatistics = null, string? cacheDirectory = null)
    {
        History = history;
        CacheStatistics = cacheStatistics;
        CacheDirectory = cacheDirectory;
        Model = model;
        Evaluation = evaluation;
        TrainFeatures = train;
        TestFeatures = test;
        Skipped = skipped;
        FeaturizeTime = featurizeTime;
        TrainTime = trainTime;
    }

    /// <summary>Gets the trained model.</summary>
    public TransferModel Model { get; }

    /// <summary>Gets the test-set metrics, or <see langword="null"/> when there were no test images.</summary>
    public EvaluationResult? Evaluation { get; }

    /// <summary>Gets the training features (for reuse, e.g. training another head).</summary>
    public FeaturizationResult TrainFeatures { get; }

    /// <summary>Gets the test features, if any.</summary>
    public FeaturizationResult? TestFeatures { get; }

    /// <summary>Gets every image left out (while scanning or decoding), with reasons.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Gets the time spent computing or reading features.</summary>
    public TimeSpan FeaturizeTime { get; }

    /// <summary>Gets the time spent training the head.</summary>
    public TimeSpan TrainTime { get; }

    /// <summary>Gets the per-epoch metrics of a neural head (<see cref="Heads.NeuralHeadTrainer"/>), or <see langword="null"/> for ML.NET heads, which train without epochs.</summary>
    public TrainingHistory? History { get; }

    /// <summary>Gets the bottleneck cache's counters for this run (hits, misses, vectors added, segments written), or <see langword="null"/> without a cache.</summary>
    public CacheStatistics? CacheStatistics { get; }

    /// <summary>Gets the bottleneck cache folder (full path), or <see langword="null"/> without a cache.</summary>
    public string? CacheDirectory { get; }

    /// <summary>Gets the evaluation report written after the run (<see cref="TransferPipelineBuilder.WriteReport"/>), or <see langword="null"/>.</summary>
    public Reporting.EvaluationReport? Report { get; init; }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
