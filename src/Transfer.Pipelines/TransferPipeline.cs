using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Transfer.Auditing;
using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Caching;
using Transfer.Diagnostics;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;
using Transfer.Reporting;

namespace Transfer.Pipelines;

/// <summary>
/// Images → backbone features → trained head → evaluation → model, configured with a builder:
/// <c>TransferPipeline.For(images).WithBackbone(Backbones.ResNet18).TrainHead(...).Build().RunAsync()</c>.
/// Immutable; <see cref="RunAsync"/> may be called more than once.
/// </summary>
public sealed partial class TransferPipeline
{
    internal TransferPipeline(ImageSet images, Backbone backbone, FeaturizerOptions featurizerOptions, HeadTrainer head, ImageSet? test, double testFraction, int seed, string? cacheDirectory, bool fromCache = false)
    {
        FromCache = fromCache;
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

    /// <summary>Gets the held-out test fraction (when no separate test set is given); 0 when the estimate is cross-validated or there is none.</summary>
    public double TestFractionValue { get; }

    /// <summary>
    /// Gets the number of cross-validation folds of the accuracy estimate when no test set or fraction is given (the
    /// default: <see cref="Evaluation.CrossValidation.DefaultFolds"/>), or 0 for no cross-validated estimate.
    /// </summary>
    public int CrossValidationFolds { get; init; }

    /// <summary>Gets which augmented views of the training images are featurized and trained on (default <see cref="AugmentationPolicy.None"/>).</summary>
    public AugmentationPolicy Augmentation { get; init; }

    /// <summary>
    /// Gets why the resize mode in <see cref="FeaturizerOptions"/> was chosen (<see cref="PreprocessingChoice"/>), or
    /// <see langword="null"/> when the caller set the preprocessing.
    /// </summary>
    public string? PreprocessingReason { get; init; }

    /// <summary>Gets the bottleneck cache folder, or <see langword="null"/> when features are not cached.</summary>
    public string? CacheDirectory { get; }

    /// <summary>Gets the split seed.</summary>
    public int Seed { get; }

    /// <summary>Gets a value indicating whether every feature must come from the cache (<see cref="TransferPipelineBuilder.FromCache"/>): the backbone runs on no image.</summary>
    public bool FromCache { get; }

    /// <summary>Gets the HTML report to write after each run (<see cref="TransferPipelineBuilder.WriteReport"/>), or <see langword="null"/>.</summary>
    public string? ReportPath { get; init; }

    /// <summary>Gets the int8 quantization settings (<see cref="TransferPipelineBuilder.QuantizeBackbone"/>), or <see langword="null"/> to run the backbone as it is.</summary>
    public QuantizationOptions? Quantization { get; init; }

    /// <summary>Gets the fine-tuning settings (<see cref="TransferPipelineBuilder.FineTune"/>), or <see langword="null"/> to keep the backbone frozen.</summary>
    public FineTuning.FineTuneOptions? FineTune { get; init; }

    /// <summary>Gets the false-rejection rate of the stored "unknown" threshold (<see cref="TransferPipelineBuilder.UnknownFalseRejectionRate"/>).</summary>
    public double UnknownFalseRejectionRate { get; init; } = UnknownRejection.DefaultFalseRejectionRate;

    /// <summary>Gets the report options, or <see langword="null"/> for the defaults.</summary>
    public EvaluationReportOptions? ReportOptions { get; init; }

    /// <summary>
    /// Gets where the run logs (<see cref="TransferPipelineBuilder.WithLoggerFactory"/>): its stages, the head choice, and the
    /// warnings of the bottleneck cache, the featurizer's execution provider and the quantizer. docs/OBSERVABILITY.md lists the categories.
    /// </summary>
    /// <value>The default value is <see cref="NullLoggerFactory.Instance"/> (no logging).</value>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

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
        var logger = LoggerFactory.CreateLogger<TransferPipeline>();
        using var activity = PipelineTelemetry.StartRoot(PipelineTelemetry.RunSpan);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("transfer.backbone", Backbone.Name);
            activity.SetTag("transfer.head", Head.Describe());
            activity.SetTag("transfer.images", Images.Count);
            activity.SetTag("transfer.classes", Images.Classes.Count);
        }

        long started = Stopwatch.GetTimestamp();
        try
        {
            var result = await RunCoreAsync(logger, progress, cancellationToken).ConfigureAwait(false);
            if (logger.IsEnabled(LogLevel.Information))
            {
                string accuracy = result.Estimate is { } e ? FormattableString.Invariant($"{e.Method} micro accuracy {e.MicroAccuracy:P1} on {e.Images} images") : "no accuracy estimate";
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                PipelineLog.RunFinished(logger, seconds, result.Model.Head.TrainerName, accuracy);
            }

            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag("transfer.head.trained", result.Model.Head.TrainerName);
                activity.SetTag("transfer.estimate.method", result.Estimate?.Method);
                activity.SetTag("transfer.estimate.accuracy", result.Estimate?.MicroAccuracy);
                activity.SetStatus(ActivityStatusCode.Ok);
            }

            return result;
        }
        catch (Exception ex) when (Instrumentation.Fail(activity, ex))
        {
            throw;
        }
    }

    private async Task<TransferResult> RunCoreAsync(ILogger logger, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
    {
        ImageSet train;
        ImageSet? test;
        string? method;
        if (Test is not null)
        {
            train = Images;
            test = ImageSet.FromEntries(Test.Entries, Images.Classes);
            method = AccuracyEstimate.Test;
        }
        else if (TestFractionValue > 0)
        {
            var split = Images.Split(TestFractionValue, 0, Seed);
            train = split.Train;
            test = split.Test.Count > 0 ? split.Test : null;
            method = test is null ? null : AccuracyEstimate.Holdout;
        }
        else
        {
            train = Images;
            test = null;
            method = CrossValidationFolds > 0 ? AccuracyEstimate.CrossValidated : null;
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            string trainer = Head.Describe();
            PipelineLog.RunStarted(logger, Images.Count, Images.Classes.Count, Backbone.Name, trainer, method ?? "none");
        }

        var backbone = Backbone;
        if (Quantization is not null)
        {
            using var stage = PipelineTelemetry.Start(logger, "quantize").Tag("transfer.backbone", Backbone.Name);
            backbone = await Backbone.QuantizeAsync(train, Quantization.Logger is null ? Quantization.WithLogger(LoggerFactory.CreateLogger(PipelineLog.QuantizationCategory)) : Quantization, null, cancellationToken).ConfigureAwait(false);
            stage.Complete();
        }

        using var featurizer = new Featurizer(backbone, FeaturizerOptions, deferSession: CacheDirectory is not null); // a fully cached run never starts ONNX Runtime
        using var cache = OpenCache();
        var store = cache?.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
        var clock = Stopwatch.StartNew();
        FeaturizedSets sets;
        using (var stage = PipelineTelemetry.Start(logger, "featurize").Tag("transfer.backbone", backbone.Name).Tag("transfer.images", train.Count + (test?.Count ?? 0)))
        {
            if (FromCache)
            {
                EnsureCached(store!, test is null ? train.Entries : [.. train.Entries, .. test.Entries], cancellationToken);
            }

            sets = await FeaturizeSetsAsync(featurizer, backbone, cache, store, train, test, progress, cancellationToken).ConfigureAwait(false);
            stage.Tag("transfer.images.computed", sets.Train.Computed + (sets.Test?.Computed ?? 0)).Tag("transfer.cache.hits", sets.Train.CacheHits + (sets.Test?.CacheHits ?? 0)).Tag("transfer.views", sets.Views.Count).Complete();
        }

        var (trainFeatures, testFeatures) = (sets.Train, sets.Test);
        var featurizeTime = clock.Elapsed;
        progress?.Report(new PipelineProgress(PipelineStage.TrainingHead, "train", null));
        clock.Restart();
        HeadTraining.Outcome outcome;
        using (var stage = PipelineTelemetry.Start(logger, "train_head").Tag("transfer.head", Head.Describe()).Tag("transfer.estimate.method", method))
        {
            outcome = await Task.Run(
                () => HeadTraining.Run(Head, trainFeatures.Features, sets.Views, sets.TrainFlip, testFeatures?.Features, sets.TestFlip, method, CrossValidationFolds > 0 ? CrossValidationFolds : Evaluation.CrossValidation.DefaultFolds, Seed, Augmentation == AugmentationPolicy.Auto, train.Classes, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            LogHeadSelection(outcome.Selection);
            stage.Tag("transfer.head.trained", outcome.Head.TrainerName).Tag("transfer.head.chosen", outcome.Selection?.Candidates.FirstOrDefault(c => c.Chosen)?.Name)
                .Tag("transfer.estimate.accuracy", outcome.Estimate?.MicroAccuracy).Tag("transfer.views.used", outcome.ViewsUsed).Complete();
        }

        var head = outcome.Head;
        var evaluation = outcome.Evaluation;
        var trainTime = clock.Elapsed;
        if (progress is not null && evaluation is not null)
        {
            progress.Report(new PipelineProgress(PipelineStage.Evaluating, method == AccuracyEstimate.CrossValidated ? "train" : "test", null));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var model = TransferModel.Create(featurizer, head, outcome.Selection is null ? Head.Describe() : $"{Head.Describe()} → {AutoHeadTrainer.Refit(outcome.Selection.Chosen).Describe()}", outcome.TestTimeAugmentation);
        PipelineFineTuning.Outcome? tuned = null;
        if (FineTune is not null)
        {
            try
            {
                using var stage = PipelineTelemetry.Start(logger, "fine_tune");
                tuned = await PipelineFineTuning.RunAsync(this, backbone, train, testFeatures?.Images, outcome, progress, cancellationToken).ConfigureAwait(false);
                stage.Tag("transfer.fine_tune.kept", tuned.Model is not null).Complete();
            }
            catch
            {
                model.Dispose();
                throw;
            }

            if (tuned.Model is not null)
            {
                model.Dispose();
                (model, head, evaluation) = (tuned.Model, tuned.Result.Head, tuned.Evaluation);
            }
        }

        model = HeadTraining.WithStatistics(model, trainFeatures.Features, tuned?.Model is null ? outcome : null, tuned?.Evaluation, method, UnknownFalseRejectionRate);
        var skipped = Images.Skipped.Concat(trainFeatures.Skipped).Concat(testFeatures?.Skipped ?? []).ToList();
        if (skipped.Count > 0)
        {
            PipelineLog.ImagesSkipped(logger, skipped.Count, skipped[0].Source, skipped[0].Reason);
        }

        EvaluationReport? report = null;
        if (ReportPath is not null && evaluation is not null)
        {
            try
            {
                progress?.Report(new PipelineProgress(PipelineStage.WritingReport, "test", null));
                using var stage = PipelineTelemetry.Start(logger, "report");
                report = WriteReport(model, evaluation, outcome, train, test, trainFeatures, testFeatures ?? trainFeatures, head, skipped, featurizeTime, trainTime, cancellationToken);
                stage.Complete();
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        progress?.Report(new PipelineProgress(PipelineStage.Done, string.Empty, null));
        return new TransferResult(model, evaluation, trainFeatures, testFeatures, skipped, featurizeTime, trainTime, head.History, cache?.Statistics, cache?.Directory)
        {
            Report = report,
            Estimate = tuned?.Model is null ? outcome.Estimate : tuned.Evaluation is { } e ? new AccuracyEstimate(method ?? AccuracyEstimate.Test, e.Count, e.MicroAccuracy, e.MacroAccuracy) : null,
            FineTuning = tuned?.Result,
            FrozenEvaluation = tuned?.Model is null ? null : outcome.Evaluation,
            HeadSelection = outcome.Selection,
            TrainedOnImages = tuned?.Model is null ? outcome.TrainedOnImages : tuned.Result.Summary.TrainImages,
            AugmentedViews = outcome.ViewsUsed,
        };
    }

    private EvaluationReport WriteReport(TransferModel model, EvaluationResult evaluation, HeadTraining.Outcome outcome, ImageSet train, ImageSet? test, FeaturizationResult trainFeatures, FeaturizationResult testFeatures, TrainedHead head, IReadOnlyList<SkippedImage> skipped, TimeSpan featurizeTime, TimeSpan trainTime, CancellationToken cancellationToken)
    {
        var audit = DatasetAudit.Run(train, test, cancellationToken);
        var manifest = RunManifest.FromModel(model, Seed, audit.DatasetHash, [new("featurize", featurizeTime), new("train head", trainTime)]) with { Estimate = outcome.Estimate, TrainedOnImages = outcome.TrainedOnImages };

        // The head choice's out-of-fold probabilities judge the training labels at no extra training.
        var labels = outcome.Selection is { } selection
            ? LabelAudit.FromCrossValidation(trainFeatures.Features, trainFeatures.Images, train.Classes, selection.ChosenCrossValidation, $"auto: {selection.Candidates.First(c => c.Chosen).Name}", cancellationToken: cancellationToken)
            : null;
        var dataset = DatasetSummary.FromImageSets(train, test, skipped, audit) with
        {
            LabelAudit = labels,
            NearestTraining = new NearestTrainingImages(trainFeatures.Features, trainFeatures.Images, testFeatures.Features, testFeatures.Images),
        };
        var report = EvaluationReport.Create(evaluation, testFeatures.Images, head.History, dataset, manifest, ReportOptions);
        cancellationToken.ThrowIfCancellationRequested();
        string directory = Path.GetDirectoryName(ReportPath!)!;
        Directory.CreateDirectory(directory);
        report.Write(ReportPath!);
        manifest.Save(Path.ChangeExtension(ReportPath!, ".manifest.json"));
        return report;
    }

    private static Progress<FeaturizationProgress>? Forward(IProgress<PipelineProgress>? progress, string dataset) =>
        progress is null ? null : new SynchronousProgress<FeaturizationProgress>(p => progress.Report(new PipelineProgress(PipelineStage.Featurizing, dataset, p)));

    /// <summary>Reports on the calling thread (unlike <see cref="Progress{T}"/>, which posts to a context).</summary>
    internal sealed class SynchronousProgress<T>(Action<T> report) : Progress<T>, IProgress<T>
    {
        void IProgress<T>.Report(T value) => report(value);
    }
}
