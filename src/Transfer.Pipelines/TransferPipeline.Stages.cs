using Microsoft.Extensions.Logging;
using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Images;

namespace Transfer.Pipelines;

/// <content>The featurization stage of <see cref="RunAsync"/>: plain images, then each augmented view; and the head choice's log line.</content>
public sealed partial class TransferPipeline
{
    /// <summary>Opens the bottleneck cache, if any, logging to the pipeline's logger factory (the fine-tuning activations' cache passes its own storage options).</summary>
    internal BottleneckCache? OpenCache(BottleneckCacheOptions? options = null)
    {
        if (CacheDirectory is null)
        {
            return null;
        }

        options ??= new BottleneckCacheOptions();
        options.LoggerFactory = LoggerFactory;
        return BottleneckCache.Open(CacheDirectory, options);
    }

    /// <summary>
    /// Featurizes the training and test images, then the augmented views of the training images, each in a cache store of
    /// its own (keyed by the view), so reruns hit. The flipped view also lets the run measure a test-time flip, for which
    /// the test images need it too.
    /// </summary>
    private async Task<FeaturizedSets> FeaturizeSetsAsync(Featurizer featurizer, Backbone backbone, BottleneckCache? cache, BottleneckStore? store, ImageSet train, ImageSet? test, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
    {
        var trainFeatures = await featurizer.FeaturizeAsync(train, store, Forward(progress, "train"), cancellationToken).ConfigureAwait(false);
        FeaturizationResult? testFeatures = null;
        if (test is not null)
        {
            testFeatures = await featurizer.FeaturizeAsync(test, store, Forward(progress, "test"), cancellationToken).ConfigureAwait(false);
        }

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

        return new FeaturizedSets(trainFeatures, testFeatures, views, trainFlip, testFlip);
    }

    /// <summary>Logs the automatic head choice (category <see cref="PipelineLog.HeadsCategory"/>).</summary>
    private void LogHeadSelection(HeadSelection? selection)
    {
        var logger = LoggerFactory.CreateLogger(PipelineLog.HeadsCategory);
        if (logger.IsEnabled(LogLevel.Information) && selection?.Candidates.FirstOrDefault(c => c.Chosen) is { } chosen)
        {
            PipelineLog.HeadSelected(logger, chosen.Name, chosen.LogLoss, chosen.MicroAccuracy, selection.Candidates.Count, selection.Folds);
        }
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

    /// <summary>The features of one run: plain training and test images, and the training images' augmented views.</summary>
    private sealed record FeaturizedSets(FeaturizationResult Train, FeaturizationResult? Test, List<FeatureMatrix> Views, FeatureMatrix? TrainFlip, FeatureMatrix? TestFlip);
}
