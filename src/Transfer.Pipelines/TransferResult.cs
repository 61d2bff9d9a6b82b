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

    /// <summary>Gets the metrics of the estimate (<see cref="Estimate"/>): on the test images, or on the out-of-fold predictions of every training image when cross-validated; <see langword="null"/> without an estimate.</summary>
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

    /// <summary>Gets how the accuracy was estimated (<c>test</c>, <c>cv</c> or <c>holdout</c>) and the figures, or <see langword="null"/> when the run made no estimate.</summary>
    public AccuracyEstimate? Estimate { get; init; }

    /// <summary>Gets the automatic head choice (every candidate's cross-validated figures), or <see langword="null"/> when a head was pinned.</summary>
    public Heads.HeadSelection? HeadSelection { get; init; }

    /// <summary>Gets the number of images the saved model's head was trained on (every image but a separate test set's; augmented views not counted).</summary>
    public int TrainedOnImages { get; init; }

    /// <summary>Gets the number of augmented views per training image the head was trained on (0 without augmentation, or when <see cref="Augmentation.AugmentationPolicy.Auto"/> found they did not help).</summary>
    public int AugmentedViews { get; init; }

    /// <summary>Gets the test-time augmentation the saved model does (adopted when it lowered the cross-validated log-loss; needs the flipped view, <see cref="TransferPipelineBuilder.Augment"/>).</summary>
    public Backbones.TestTimeAugmentation TestTimeAugmentation => Model.Manifest.TestTimeAugmentation;

    /// <summary>
    /// Gets what fine-tuning did (<see cref="TransferPipelineBuilder.FineTune"/>): its epochs and validation figures, and
    /// whether it kept the frozen model; <see langword="null"/> without fine-tuning.
    /// </summary>
    public FineTuning.FineTuneResult? FineTuning { get; init; }

    /// <summary>
    /// Gets the frozen model's metrics when fine-tuning replaced it (<see cref="Evaluation"/> is then the tuned model's, on
    /// the same test images), or <see langword="null"/>.
    /// </summary>
    public EvaluationResult? FrozenEvaluation { get; init; }

    /// <summary>Gets the evaluation report written after the run (<see cref="TransferPipelineBuilder.WriteReport"/>), or <see langword="null"/>.</summary>
    public Reporting.EvaluationReport? Report { get; init; }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}
