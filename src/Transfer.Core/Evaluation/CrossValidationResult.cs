namespace Transfer.Evaluation;

/// <summary>What a cross-validation produced: metrics of the out-of-fold predictions (every row scored by a head that did not see it) and each fold's accuracy.</summary>
public sealed class CrossValidationResult
{
    internal CrossValidationResult(EvaluationResult evaluation, IReadOnlyList<double> foldAccuracies)
    {
        Evaluation = evaluation;
        FoldAccuracies = foldAccuracies;
    }

    /// <summary>Gets the metrics of the pooled out-of-fold predictions.</summary>
    public EvaluationResult Evaluation { get; }

    /// <summary>Gets the micro-accuracy of each fold.</summary>
    public IReadOnlyList<double> FoldAccuracies { get; }

    /// <summary>Gets the standard deviation of the fold accuracies (population form): the spread of the estimate.</summary>
    public double FoldStandardDeviation
    {
        get
        {
            double mean = FoldAccuracies.Average();
            return Math.Sqrt(FoldAccuracies.Sum(a => (a - mean) * (a - mean)) / FoldAccuracies.Count);
        }
    }
}
