namespace Transfer.Backbones;

/// <summary>How a backbone's feature blocks are normalised inside the graph (see <see cref="BackboneDescriptor.FeatureNormalization"/>).</summary>
public enum FeatureNormalization
{
    /// <summary>The features are the backbone's values as they come out.</summary>
    None,

    /// <summary>
    /// Each block (the main output's features, then each of <see cref="BackboneDescriptor.PooledOutputs"/>) is divided by
    /// its own L2 norm (plus 1e-12, so an all-zero block stays zero), so every block has unit length and weighs the same.
    /// </summary>
    L2,
}
