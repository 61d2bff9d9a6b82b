using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Caching;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.FineTuning;
using Transfer.Heads;
using Transfer.Images;
using Transfer.Models;

namespace Transfer.Pipelines;

/// <summary>
/// The fine-tuning stage of a run (<see cref="TransferPipelineBuilder.FineTune"/>), after the frozen head: tunes the
/// backbone's top on the training images and, unless the guard keeps the frozen model, makes the tuned model and
/// evaluates it on the test images.
/// </summary>
internal static class PipelineFineTuning
{
    /// <summary>Activation rows are long (ResNet18's layer3 map is 50,176 floats): half precision, and segments of 64 rows (6 MB).</summary>
    private const int ActivationSegmentSize = 64;

    /// <summary>The tuned model and its evaluation, or <see langword="null"/> ones when the frozen model is kept.</summary>
    public sealed record Outcome(FineTuneResult Result, TransferModel? Model, EvaluationResult? Evaluation);

    public static async Task<Outcome> RunAsync(TransferPipeline pipeline, Backbone backbone, ImageSet train, IReadOnlyList<ImageEntry>? test, HeadTraining.Outcome frozen, IProgress<PipelineProgress>? progress, CancellationToken cancellationToken)
    {
        // What the frozen run measured decides what the caller left open: mirror when its head trained on the mirrored
        // view, and start from the L2 weight its maximum-entropy head was fitted with.
        bool mirrored = frozen.ViewsUsed > 0 && AugmentationView.ForPolicy(pipeline.Augmentation).Contains(AugmentationView.HorizontalFlip);
        var chosen = frozen.Selection?.Chosen ?? pipeline.Head;
        double l2 = chosen is MaximumEntropyHeadTrainer maximumEntropy ? maximumEntropy.Options.L2Regularization : FineTuneOptions.DefaultWarmStartL2;
        var options = pipeline.FineTune!.Resolve(mirrored, l2);

        using var activations = pipeline.OpenCache(new BottleneckCacheOptions { Storage = VectorStorage.HalfPrecision, SegmentSize = ActivationSegmentSize });
        var relay = progress is null ? null : new TransferPipeline.SynchronousProgress<FineTuneProgress>(p => progress.Report(new PipelineProgress(PipelineStage.FineTuning, "train", p.Featurization) { FineTuning = p }));
        var result = await new FineTuner(options).TuneAsync(backbone, train, pipeline.FeaturizerOptions, activations is null ? null : (key, length) => activations.GetStore(key, length), relay, cancellationToken).ConfigureAwait(false);
        if (result.Summary.KeptFrozen)
        {
            return new Outcome(result, null, null);
        }

        using var featurizer = new Featurizer(result.Backbone, pipeline.FeaturizerOptions);
        EvaluationResult? evaluation = null;
        if (test is { Count: > 0 })
        {
            progress?.Report(new PipelineProgress(PipelineStage.Evaluating, "test", null));
            var features = await featurizer.FeaturizeAsync(ImageSet.FromEntries(test, train.Classes), null, null, cancellationToken).ConfigureAwait(false);
            evaluation = Evaluator.Evaluate(result.Head, features.Features, cancellationToken: cancellationToken);
        }

        var model = TransferModel.Create(featurizer, result.Head, $"{options.Describe()} from {chosen.Describe()}");
        return new Outcome(result, model, evaluation);
    }
}
