namespace Transfer.Augmentation;

/// <summary>
/// Which augmented views of the training images are featurized besides the images as they are; expanded to its views by
/// <see cref="AugmentationView.ForPolicy"/>. Each view is a cache entry of its own, so a rerun reads every view from the
/// bottleneck cache.
/// </summary>
public enum AugmentationPolicy
{
    /// <summary>No augmentation: only the images as they are.</summary>
    None,

    /// <summary>One extra view: the left/right mirror (<see cref="AugmentationView.HorizontalFlip"/>). No randomness.</summary>
    Flip,

    /// <summary>
    /// Three extra views: the mirror, a jittered view (<see cref="AugmentationView.Jitter"/> seed 1, not mirrored) and a
    /// mirrored jittered view (seed 2).
    /// </summary>
    Standard,

    /// <summary>
    /// The mirrored view as a candidate, the default of pipelines with the automatic head: the pipeline measures by
    /// cross-validation whether training on it, and averaging each scored image with its mirror (test-time flip), lowers the
    /// log-loss, and uses neither otherwise, so flipping is never forced (it hurts where left and right matter, such as text
    /// or arrows). Costs one more featurization of every image.
    /// </summary>
    Auto,
}
