namespace Transfer.Backbones;

/// <summary>
/// Test-time augmentation built into the featurizer graph (see <c>Backbone.BuildFeaturizerModel</c>). It is a
/// scoring-time choice: it changes neither the backbone's fingerprint nor its feature-space key, so cached features are
/// always the un-augmented ones.
/// </summary>
public enum TestTimeAugmentation
{
    /// <summary>Each image is featurized once, as it is.</summary>
    None,

    /// <summary>
    /// Each image is also featurized mirrored left to right (the batch runs twice as large through the backbone) and the
    /// features are the mean of the two: (features(x) + features(mirror x)) / 2, each after the descriptor's
    /// <c>FeatureNormalization</c>.
    /// </summary>
    HorizontalFlip,
}
