namespace Transfer.Reporting;

/// <summary>A (true class, predicted class) pair the head confuses, from the confusion matrix.</summary>
/// <param name="TrueLabel">The images' true class.</param>
/// <param name="PredictedLabel">The class they were predicted as.</param>
/// <param name="Count">How many test images of <paramref name="TrueLabel"/> were predicted as <paramref name="PredictedLabel"/>.</param>
/// <param name="FractionOfTrue">That count as a fraction of the test images of <paramref name="TrueLabel"/>.</param>
public sealed record ConfusedPair(string TrueLabel, string PredictedLabel, int Count, double FractionOfTrue);
