namespace Transfer.Models;

/// <summary>
/// The rejection threshold a model stores for answering "unknown" (<see cref="PredictorOptions.RejectUnknown"/>): an
/// image whose highest class probability is below <see cref="Threshold"/> belongs to none of the known classes.
/// Training chooses it on held-out probabilities (cross-validated by default) so that about
/// <see cref="FalseRejectionRate"/> of the known classes' images would be rejected.
/// </summary>
public sealed record UnknownThreshold
{
    /// <summary>The score the threshold applies to: the highest class probability (maximum softmax probability).</summary>
    public const string MaximumProbability = "max-probability";

    /// <summary>Gets the score compared with the threshold (<see cref="MaximumProbability"/>).</summary>
    /// <value>The default value is <see cref="MaximumProbability"/>.</value>
    public string Score { get; init; } = MaximumProbability;

    /// <summary>Gets the threshold: an image scoring below it is answered "unknown".</summary>
    public required float Threshold { get; init; }

    /// <summary>Gets the false-rejection rate asked for: the fraction of known-class images allowed below the threshold.</summary>
    public required double FalseRejectionRate { get; init; }

    /// <summary>Gets the fraction of the held-out images actually below the threshold.</summary>
    public double MeasuredFalseRejectionRate { get; init; }

    /// <summary>Gets the number of held-out images the threshold was chosen on.</summary>
    public int HeldOutImages { get; init; }

    /// <summary>Gets where the held-out probabilities came from: <c>cv</c> (out-of-fold), <c>holdout</c> or <c>test</c>.</summary>
    /// <value>The default value is <c>cv</c>.</value>
    public string Source { get; init; } = "cv";

    /// <summary>Gets the trade-off curve on the held-out images: the false-rejection rate at each threshold from 0.05 to 1.</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<RejectionPoint> Curve { get; init; } = [];
}
