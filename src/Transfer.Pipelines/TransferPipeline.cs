using System.Diagnostics;
using Transfer.Auditing;
using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Caching;
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
public sealed class TransferPipeline
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

        var backbone = Quantization is null ? Backbone : await Backbone.QuantizeAsync(train, Quantization, null, cancellationToken).ConfigureAwait(false);
        using var featurizer = new Featurizer(backbone, FeaturizerOptions, deferSession: CacheDirectory is not null); // a fully cached run never starts ONNX Runtime
        using var cache = CacheDirectory is null ? null : BottleneckCache.Open(CacheDirectory);
        var store = cache?.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
        if (FromCache)
        {
            EnsureCached(store!, test is null ? train.Entries : [.. train.Entries, .. test.Entries], cancellationToken);
        }

        var clock = Stopwatch.StartNew();
        var trainFeatures = await featurizer.FeaturizeAsync(train, store, Forward(progress, "train"), cancellationToken).ConfigureAwait(false);
        FeaturizationResult? testFeatures = null;
        if (test is not null)
        {
            testFeatures = await featurizer.FeaturizeAsync(test, store, Forward(progress, "test"), cancellationToken).ConfigureAwait(false);
        }

        // Augmented views of the training images, each in a cache store of its own (keyed by the view), so reruns hit.
        // The flipped view also lets the run measure a test-time flip, for which the test images need it too.
        var views = new List<FeatureMatrix>();
        FeatureMatrix? trainFlip = null;
        FeatureMatrix? testFlip = null;
        foreach (var view in AugmentationView.ForPolicy(Augmentation))
        {
            using var viewFeaturizer = new Featurizer(backbone, FeaturizerOptions with { View = view }, deferSession: CacheDirectory is not null);
            var viewStore = cache?.GetStore(viewFeaturizer.FeatureSpaceKey, viewFeaturizer.FeatureLength);
            var matrix = await FeaturizeViewAsync(viewFeaturizer, viewStore, trainFeatures, train.Classes, view, "train", progress, cancellationToken).ConfigureAwait(false);
            views.Add(matrix);
            if (view == AugmentationView.HorizontalFlip)
            {
                trainFlip = matrix;
                if (testFeatures is not null && test is not null)
                {
                    testFlip = await FeaturizeViewAsync(viewFeaturizer, viewStore, testFeatures, test.Classes, view, "test", progress, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        var featurizeTime = clock.Elapsed;
        progress?.Report(new PipelineProgress(PipelineStage.TrainingHead, "train", null));
        clock.Restart();
        var outcome = await Task.Run(
            () => HeadTraining.Run(Head, trainFeatures.Features, views, trainFlip, testFeatures?.Features, testFlip, method, CrossValidationFolds > 0 ? CrossValidationFolds : Evaluation.CrossValidation.DefaultFolds, Seed, Augmentation == AugmentationPolicy.Auto, train.Classes, cancellationToken),
            cancellationToken).ConfigureAwait(false);
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
                tuned = await PipelineFineTuning.RunAsync(this, backbone, train, testFeatures?.Images, outcome, progress, cancellationToken).ConfigureAwait(false);
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
        EvaluationReport? report = null;
        if (ReportPath is not null && evaluation is not null)
        {
            try
            {
                progress?.Report(new PipelineProgress(PipelineStage.WritingReport, "test", null));
                report = WriteReport(model, evaluation, outcome, train, test, trainFeatures, testFeatures ?? trainFeatures, head, skipped, featurizeTime, trainTime, cancellationToken);
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

    /// <summary>
    /// Featurizes every image (no split, no head): the embeddings, to export (<see cref="Embeddings.SaveParquet"/>,
    /// <see cref="Embeddings.SaveCsv"/>) or to fill the bottleneck cache for later runs (<see cref="TransferPipelineBuilder.FromCache"/>).
    /// </summary>
    /// <param name="progress">Receives featurization progress.</param>
    /// <param name="cancellationToken">Stops the run; vectors computed so far stay in the cache.</param>
    /// <returns>One feature row per usable image.</returns>
    /// <exception cref="InvalidImageException">An image is unusable under <see cref="BadImagePolicy.Fail"/>.</exception>
    /// <exception cref="InvalidOperationException">A <see cref="FromCache"/> pipeline misses some images in its cache.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<Embeddings> FeaturizeAsync(IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        using var featurizer = new Featurizer(Backbone, FeaturizerOptions);
        using var cache = CacheDirectory is null ? null : BottleneckCache.Open(CacheDirectory);
        var store = cache?.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
        if (FromCache)
        {
            EnsureCached(store!, Images.Entries, cancellationToken);
        }

        var features = await featurizer.FeaturizeAsync(Images, store, Forward(progress, "all"), cancellationToken).ConfigureAwait(false);
        cache?.Flush();
        progress?.Report(new PipelineProgress(PipelineStage.Done, string.Empty, null));
        var hashes = new string[features.Images.Count];
        for (int i = 0; i < hashes.Length; i++)
        {
            hashes[i] = ContentHash.Compute(features.Images[i].ReadBytes().Span).ToString();
        }

        return new Embeddings(features, hashes, Backbone.Name, featurizer.FeatureSpaceKey, Images.Skipped.Concat(features.Skipped).ToList(), cache?.Statistics, cache?.Directory);
    }

    /// <summary>Evaluates a saved model on a new image set: predicts every image (batched) and computes the metrics.</summary>
    /// <param name="model">The model, e.g. <c>TransferModel.Load("photos.zip")</c>.</param>
    /// <param name="images">Labelled images; every label must be one of the model's classes.</param>
    /// <param name="progress">Receives <see cref="PipelineStage.Evaluating"/> progress, about once per batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The metrics (classes in the model's order).</returns>
    /// <exception cref="ArgumentException">The set is empty or has labels the model does not know.</exception>
    /// <exception cref="InvalidImageException">An image cannot be decoded.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static async Task<EvaluationResult> EvaluateAsync(TransferModel model, ImageSet images, IProgress<PipelineProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < model.Classes.Count; i++)
        {
            index[model.Classes[i]] = i;
        }

        var unknown = images.Classes.Where(c => !index.ContainsKey(c)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"The image set has classes the model was not trained on: {string.Join(", ", unknown)} (the model knows {string.Join(", ", model.Classes)}). Remove those images or evaluate a model trained on them.", nameof(images));
        }

        if (images.Count == 0)
        {
            throw new ArgumentException("The image set is empty; there is nothing to evaluate.", nameof(images));
        }

        const int chunk = 64;
        int c = model.Classes.Count;
        var probabilities = new float[images.Count * c];
        var labels = new int[images.Count];
        using var predictor = model.CreatePredictor();
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < images.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = images.Entries.Skip(start).Take(chunk).ToList();
            var predictions = await Task.Run(() => predictor.PredictBatch(batch, top: 1), cancellationToken).ConfigureAwait(false);
            for (int j = 0; j < batch.Count; j++)
            {
                for (int k = 0; k < c; k++)
                {
                    probabilities[((start + j) * c) + k] = predictions[j].Scores[k];
                }

                labels[start + j] = index[batch[j].Label];
            }

            int done = start + batch.Count;
            progress?.Report(new PipelineProgress(PipelineStage.Evaluating, "test", new FeaturizationProgress(done, images.Count, 0, 0, clock.Elapsed)));
        }

        progress?.Report(new PipelineProgress(PipelineStage.Done, string.Empty, null));
        return Evaluator.Evaluate(model.Classes, probabilities, labels);
    }

    /// <summary>Fails, naming the images, when some are not in the store (a <see cref="FromCache"/> run never computes features).</summary>
    private static void EnsureCached(BottleneckStore store, IReadOnlyList<ImageEntry> images, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        foreach (var image in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!store.Contains(ContentHash.Compute(image.ReadBytes().Span)))
            {
                missing.Add(image.Name);
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"FromCache: {missing.Count} of {images.Count} images have no features in the bottleneck cache {store.Directory} (first: {string.Join(", ", missing.Take(3))}). The cache is keyed by the image bytes, backbone and preprocessing: featurize these images into it first (CacheBottlenecks instead of FromCache), or use the backbone and preprocessing that filled it.");
        }
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

    /// <summary>Featurizes an augmented view of images already featurized plain (the same rows, in the same order).</summary>
    private static async Task<FeatureMatrix> FeaturizeViewAsync(Featurizer featurizer, BottleneckStore? store, FeaturizationResult plain, IReadOnlyList<string> classes, AugmentationView view, string dataset, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
    {
        var images = ImageSet.FromEntries(plain.Images, classes);
        var result = await featurizer.FeaturizeAsync(images, store, Forward(progress, $"{dataset} ({view})"), cancellationToken).ConfigureAwait(false);
        if (result.Features.Count != plain.Features.Count)
        {
            throw new InvalidOperationException($"The augmented view {view} left out {plain.Features.Count - result.Features.Count} image(s) that decoded without it: {string.Join("; ", result.Skipped.Select(k => $"{k.Source}: {k.Reason}"))}.");
        }

        return result.Features;
    }

    private static Progress<FeaturizationProgress>? Forward(IProgress<PipelineProgress>? progress, string dataset) =>
        progress is null ? null : new SynchronousProgress<FeaturizationProgress>(p => progress.Report(new PipelineProgress(PipelineStage.Featurizing, dataset, p)));

    /// <summary>Reports on the calling thread (unlike <see cref="Progress{T}"/>, which posts to a context).</summary>
    internal sealed class SynchronousProgress<T>(Action<T> report) : Progress<T>, IProgress<T>
    {
        void IProgress<T>.Report(T value) => report(value);
    }
}
