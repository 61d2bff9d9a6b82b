namespace Transfer.Featurization;

/// <summary>Receives the features of one image during a streaming featurization.</summary>
/// <param name="index">The image's index in the input list.</param>
/// <param name="features">Its features (valid only during the call; copy them to keep them).</param>
public delegate void FeatureSink(int index, ReadOnlySpan<float> features);
