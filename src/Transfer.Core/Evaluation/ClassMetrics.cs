namespace Transfer.Evaluation;

/// <summary>Precision, recall and F1 of one class.</summary>
/// <param name="Name">The class name.</param>
/// <param name="Precision">Of the images predicted as this class, the fraction that are.</param>
/// <param name="Recall">Of the images of this class, the fraction predicted as it.</param>
/// <param name="F1">Harmonic mean of precision and recall.</param>
/// <param name="Support">Number of test images of this class.</param>
public sealed record ClassMetrics(string Name, double Precision, double Recall, double F1, int Support);
