using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads;

/// <summary>
/// Options for <see cref="MaximumEntropyHeadTrainer"/>. The defaults are those of ML.NET's <c>LbfgsMaximumEntropy</c>,
/// so the same objective is minimised to the same tolerance.
/// </summary>
public sealed class MaximumEntropyHeadOptions
{
    /// <summary>The default L2 and L1 weights (ML.NET's).</summary>
    public const float DefaultRegularization = 1f;

    /// <summary>The default convergence tolerance (ML.NET's <c>OptimizationTolerance</c>).</summary>
    public const float DefaultOptimizationTolerance = 1e-7f;

    /// <summary>The default number of past steps L-BFGS remembers (ML.NET's <c>HistorySize</c>).</summary>
    public const int DefaultHistorySize = 20;

    /// <summary>Gets the L2 regularisation weight on the weights (not the biases), applied to the summed loss as in ML.NET.</summary>
    /// <value>The default value is 1.</value>
    public float L2Regularization { get; init; } = DefaultRegularization;

    /// <summary>Gets the L1 regularisation weight on the weights (not the biases); above 0 the optimizer is OWL-QN.</summary>
    /// <value>The default value is 1.</value>
    public float L1Regularization { get; init; } = DefaultRegularization;

    /// <summary>
    /// Gets the convergence tolerance: training stops when the objective's mean relative improvement over the last 5
    /// iterations falls below it (ML.NET's criterion for L-BFGS).
    /// </summary>
    /// <value>The default value is 1e-7.</value>
    public float OptimizationTolerance { get; init; } = DefaultOptimizationTolerance;

    /// <summary>Gets the number of past steps the L-BFGS approximation of the Hessian keeps.</summary>
    /// <value>The default value is 20.</value>
    public int HistorySize { get; init; } = DefaultHistorySize;

    /// <summary>Gets the maximum number of iterations, or <see langword="null"/> for no limit but the tolerance.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? MaximumIterations { get; init; }

    /// <summary>Gets the number of threads, or <see langword="null"/> for one per core.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? Threads { get; init; }

    /// <summary>Gets a canonical description of the options, for the run manifest.</summary>
    /// <returns>The description.</returns>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"MaximumEntropy(l2={L2Regularization}, l1={L1Regularization}, tolerance={OptimizationTolerance:G3}, history={HistorySize}, iterations={MaximumIterations?.ToString(CultureInfo.InvariantCulture) ?? "default"})");

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (!(L2Regularization >= 0) || float.IsInfinity(L2Regularization))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"L2Regularization must be a finite number 0 or more, was {L2Regularization}."));
        }

        if (!(L1Regularization >= 0) || float.IsInfinity(L1Regularization))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"L1Regularization must be a finite number 0 or more, was {L1Regularization}."));
        }

        if (!(OptimizationTolerance > 0) || float.IsInfinity(OptimizationTolerance))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"OptimizationTolerance must be a finite number above 0, was {OptimizationTolerance}."));
        }

        if (HistorySize < 1)
        {
            problems.Add($"HistorySize must be at least 1, was {HistorySize}.");
        }

        if (MaximumIterations is < 1)
        {
            problems.Add($"MaximumIterations must be at least 1, was {MaximumIterations}.");
        }

        if (Threads is < 1)
        {
            problems.Add($"Threads must be at least 1, was {Threads}.");
        }

        problems.ThrowIfAny(nameof(MaximumEntropyHeadOptions));
    }
}
