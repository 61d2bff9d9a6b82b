using Transfer.Featurization;
using Transfer.Heads.Neural;

namespace Transfer.FineTuning;

/// <summary>Where a <see cref="FineTuner"/> run is: caching activations, fitting the warm-start head, or training an epoch.</summary>
/// <param name="Stage">What is running.</param>
/// <param name="Featurization">Progress of the activation caching, during <see cref="FineTuneStage.Caching"/>.</param>
/// <param name="Epoch">The epoch being trained (from 1), or 0 before training.</param>
/// <param name="Epochs">The epochs planned.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Completed">The metrics of the epoch just finished, once per epoch; otherwise <see langword="null"/>.</param>
public sealed record FineTuneProgress(FineTuneStage Stage, FeaturizationProgress? Featurization, int Epoch, int Epochs, int Batch, int Batches, EpochMetrics? Completed);

/// <summary>The stages of a fine-tuning run.</summary>
public enum FineTuneStage
{
    /// <summary>Computing (or reading from the cache) the activations entering the tuned layers.</summary>
    Caching,

    /// <summary>Fitting the maximum-entropy head the training starts from, on the frozen features.</summary>
    WarmStart,

    /// <summary>Training the tuned layers and the head.</summary>
    Training,
}
