using Transfer.Backbones;
using Transfer.Heads;
using Transfer.Heads.Neural;
using Transfer.Images;

namespace Transfer.FineTuning;

/// <summary>What a <see cref="FineTuner"/> run made: the tuned backbone and head, or the frozen ones when tuning did not help.</summary>
public sealed class FineTuneResult
{
    internal FineTuneResult(Backbone backbone, TrainedHead head, TrainingHistory history, FineTuneSummary summary)
    {
        Backbone = backbone;
        Head = head;
        History = history;
        Summary = summary;
    }

    /// <summary>
    /// Gets the backbone to featurize with: the tuned one (its own name, <c>…-ft</c>, and fingerprint), or the frozen one
    /// when <see cref="FineTuneSummary.KeptFrozen"/>.
    /// </summary>
    public Backbone Backbone { get; }

    /// <summary>Gets the head on <see cref="Backbone"/>'s features: a maximum-entropy model, scored by ML.NET as any other.</summary>
    public TrainedHead Head { get; }

    /// <summary>Gets the metrics of every epoch run.</summary>
    public TrainingHistory History { get; }

    /// <summary>Gets the figures of the run: validation before and after, throughput, times.</summary>
    public FineTuneSummary Summary { get; }
}

/// <summary>The figures of a fine-tuning run.</summary>
public sealed record FineTuneSummary
{
    /// <summary>Gets the images trained on.</summary>
    public required int TrainImages { get; init; }

    /// <summary>Gets the images held out to choose the epoch and judge the result.</summary>
    public required int ValidationImages { get; init; }

    /// <summary>Gets the validation accuracy of the frozen backbone with the warm-started head (epoch 0).</summary>
    public required double FrozenValidationAccuracy { get; init; }

    /// <summary>Gets the validation cross-entropy of epoch 0.</summary>
    public required double FrozenValidationLoss { get; init; }

    /// <summary>Gets the validation accuracy of the best tuned epoch (also when the frozen model was kept).</summary>
    public required double TunedValidationAccuracy { get; init; }

    /// <summary>Gets the validation cross-entropy of the best tuned epoch (also when the frozen model was kept).</summary>
    public required double TunedValidationLoss { get; init; }

    /// <summary>Gets whether the frozen backbone was kept because the best tuned epoch was not better on validation (<see cref="FineTuneOptions.KeepFrozenUnlessBetter"/>).</summary>
    public required bool KeptFrozen { get; init; }

    /// <summary>Gets the training throughput of the tuned layers and head (forward and backward, images a second), over every epoch.</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Gets how long computing or reading the activations took.</summary>
    public required TimeSpan CachingTime { get; init; }

    /// <summary>Gets how long the warm start and the epochs took.</summary>
    public required TimeSpan TrainingTime { get; init; }

    /// <summary>Gets the images that could not be used (unreadable under a skipping policy).</summary>
    public required IReadOnlyList<SkippedImage> Skipped { get; init; }

    /// <summary>Gets the layers tuned.</summary>
    public required TunedLayers Layers { get; init; }

    /// <summary>Gets the number of backbone parameters tuned.</summary>
    public required int TunedParameters { get; init; }
}
