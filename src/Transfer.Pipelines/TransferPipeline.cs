using System.Diagnostics;
using Transfer.Backbones;
using Transfer.Caching;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Pipelines;

/// <summary>
/// Images → backbone features → trained head → evaluation → model, configured with a builder:
/// <c>TransferPipeline.For(images).WithBackbone(Backbones.ResNet18).TrainHead(...).Build().RunAsync()</c>.
/// Immutable; <see cref="RunAsync"/> may be called more than once.
/// </summary>
public sealed class TransferPipeline
{
    internal TransferPipeline(ImageSet images, Backbone backbone, FeaturizerOptions featurizerOptions, HeadTrainer head, ImageSet? test, double testFraction, int seed, string? cacheDirectory)
    {
        CacheDirectory = cacheDirectory;
        Images = images;
        Backbone = backbone;
        FeaturizerOptions = featurizerOptions;
        Head = head;
        Test = test;
        TestFractionValue = testFraction;
        Seed = seed;
    }

    /// <summary>Gets the images.</summary>
    public ImageSet Images { get; }

    /// <summary>Gets the backbone.</summary>
    public Backbone Backbone { get; }

    /// <summary>Gets the featurizer options.</summary>
    public FeaturizerOptions FeaturizerOptions { get; }

    /// <summary>Gets the head trainer.</summary>
    public HeadTrainer Head { get; }

    /// <summary>Gets the separate test set, if any.</summary>
    public ImageSet? Test { get; }

    /// <summary>Gets the held-out test fraction (when no separate test set is given).</summary>
    public double TestFractionValue { get; }

    /// <summary>Gets the bottleneck cache folder, or <see langword="null"/> when features are not cached.</summary>
    public string? CacheDirectory { get; }

    /// <summary>Gets the split seed.</summary>
    public int Seed { get; }

    /// <summary>Starts configuring a pipeline for an image set.</summary>
    /// <param name="images">The labelled images.</param>
    /// <returns>A builder.</returns>
    public static TransferPipelineBuilder For(ImageSet images) => new(images ?? throw new ArgumentNullException(nameof(images)));

    /// <summary>Runs the pipeline.</summary>
    /// <param name="progress">Receives stage and featurization progress.</param>
    /// <param name="cancellationToken">Stops the run; nothing half-written is left.</param>
    /// <returns>The model, its evaluation and what happened.</returns>
    /// <exception cref="InvalidImageException">An image is unusable under <see cref="BadImagePolicy.Fail"/>.</exception>
    /// <exception cref="ArgumentException">After skipping, fewer than two classes are left.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<TransferResult> RunAsync(IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ImageSet train;
        ImageSet? test;
        if (Test is not null)
        {
            train = Images;
            test = ImageSet.FromEntries(Test.Entries, Images.Classes);
        }
        else if (TestFractionValue > 0)
        {
            var split = Images.Split(TestFractionValue, 0, Seed);
            train = split.Train;
            test = split.Test.Count > 0 ? split.Test : null;
        }
        else
        {
            train = Images;
            test = null;
        }

        using var featurizer = new Featurizer(Backbone, FeaturizerOptions);
        using var cache = CacheDirectory is null ? null : BottleneckCache.Open(CacheDirectory);
        var store = cache?.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
        var clock = Stopwatch.StartNew();
        var trainFeatures = await featurizer.FeaturizeAsync(train, store, Forward(progress, "train"), cancellationToken).ConfigureAwait(false);
        FeaturizationResult? testFeatures = null;
        if (test is not null)
        {
            testFeatures = await featurizer.FeaturizeAsync(test, store, Forward(progress, "test"), cancellationToken).ConfigureAwait(false);
        }

        var featurizeTime = clock.Elapsed;
        progress?.Report(new PipelineProgress(PipelineStage.TrainingHead, "train", null));
        clock.Restart();
        var head = await Task.Run(() => Head.Train(trainFeatures.Features, null, train.Classes, cancellationToken), cancellationToken).ConfigureAwait(false);
        var trainTime = clock.Elapsed;

        EvaluationResult? evaluation = null;
        if (testFeatures is not null && testFeatures.Features.Count > 0)
        {
            progress?.Report(new PipelineProgress(PipelineStage.Evaluating, "test", null));
            evaluation = Evaluator.Evaluate(head, testFeatures.Features, cancellationToken: cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var model = TransferModel.Create(featurizer, head, Head.Describe());
        progress?.Report(new PipelineProgress(PipelineStage.Done, string.Empty, null));
        var skipped = Images.Skipped.Concat(trainFeatures.Skipped).Concat(testFeatures?.Skipped ?? []).ToList();
        return new TransferResult(model, evaluation, trainFeatures, testFeatures, skipped, featurizeTime, trainTime);
    }

    private static Progress<FeaturizationProgress>? Forward(IProgress<PipelineProgress>? progress, string dataset) =>
        progress is null ? null : new SynchronousProgress<FeaturizationProgress>(p => progress.Report(new PipelineProgress(PipelineStage.Featurizing, dataset, p)));

    /// <summary>Reports on the calling thread (unlike <see cref="Progress{T}"/>, which posts to a context).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : Progress<T>, IProgress<T>
    {
        void IProgress<T>.Report(T value) => report(value);
    }
}
