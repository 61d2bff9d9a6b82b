namespace Transfer.Reporting;

/// <summary>One of the test images the head was most wrong about (highest cross-entropy of the true class).</summary>
/// <param name="Row">The image's row in the evaluation (index into <see cref="Evaluation.EvaluationResult.Labels"/>).</param>
/// <param name="Source">The image's path or name, or <c>#row</c> when no images were given.</param>
/// <param name="TrueLabel">The true class.</param>
/// <param name="PredictedLabel">The most probable class.</param>
/// <param name="Confidence">The probability of <paramref name="PredictedLabel"/>.</param>
/// <param name="TrueProbability">The probability given to <paramref name="TrueLabel"/>.</param>
/// <param name="Loss">The cross-entropy −ln(<paramref name="TrueProbability"/>).</param>
public sealed record TopLoss(int Row, string Source, string TrueLabel, string PredictedLabel, double Confidence, double TrueProbability, double Loss);
