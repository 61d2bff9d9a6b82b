using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Transfer.Caching;
using Transfer.Diagnostics;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Pipelines;

/// <content>Featurizing without training (<see cref="FeaturizeAsync"/>) and evaluating a saved model (<see cref="EvaluateAsync"/>).</content>
public sealed partial class TransferPipeline
{
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
        using var activity = PipelineTelemetry.StartRoot(PipelineTelemetry.EmbedSpan);
        try
        {
            return await FeaturizeCoreAsync(progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Instrumentation.Fail(activity, ex))
        {
            throw;
        }
    }

    private async Task<Embeddings> FeaturizeCoreAsync(IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
    {
        using var featurizer = new Featurizer(Backbone, FeaturizerOptions);
        using var cache = OpenCache();
        var store = cache?.GetStore(featurizer.FeatureSpaceKey, featurizer.FeatureLength);
        FeaturizationResult features;
        using (var stage = PipelineTelemetry.Start(LoggerFactory.CreateLogger<TransferPipeline>(), "featurize").Tag("transfer.backbone", Backbone.Name).Tag("transfer.images", Images.Count))
        {
            if (FromCache)
            {
                EnsureCached(store!, Images.Entries, cancellationToken);
            }

            features = await featurizer.FeaturizeAsync(Images, store, Forward(progress, "all"), cancellationToken).ConfigureAwait(false);
            stage.Tag("transfer.images.computed", features.Computed).Tag("transfer.cache.hits", features.CacheHits).Complete();
        }

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
        using var activity = PipelineTelemetry.StartRoot(PipelineTelemetry.EvaluateModelSpan);
        activity?.SetTag("transfer.images", images.Count);
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
}
