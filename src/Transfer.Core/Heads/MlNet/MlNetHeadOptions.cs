using Transfer.Validation;

namespace Transfer.Heads;

/// <summary>Options for <see cref="MlNetHeadTrainer"/>. Defaults are ML.NET's own unless stated.</summary>
public sealed class MlNetHeadOptions
{
    /// <summary>Gets the trainer.</summary>
    /// <value>The default value is <see cref="MlNetTrainerKind.LbfgsMaximumEntropy"/>.</value>
    public MlNetTrainerKind Trainer { get; init; } = MlNetTrainerKind.LbfgsMaximumEntropy;

    /// <summary>Gets the L2 regularisation weight (L-BFGS and SDCA).</summary>
    /// <value>The default value is 1 (ML.NET's default for L-BFGS); <see langword="null"/> lets SDCA choose.</value>
    public float? L2Regularization { get; init; } = 1f;

    /// <summary>Gets the L1 regularisation weight (L-BFGS).</summary>
    /// <value>The default value is 1 (ML.NET's default).</value>
    public float L1Regularization { get; init; } = 1f;

    /// <summary>Gets the maximum number of iterations (L-BFGS, SDCA) or boosting rounds (LightGBM).</summary>
    /// <value>The default value is <see langword="null"/>: ML.NET's default for the trainer.</value>
    public int? MaximumIterations { get; init; }

    /// <summary>Gets the number of threads; <see langword="null"/> for ML.NET's choice.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? Threads { get; init; }

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (L2Regularization is < 0)
        {
            problems.Add($"L2Regularization must be 0 or more, was {L2Regularization}.");
        }

        if (L1Regularization < 0)
        {
            problems.Add($"L1Regularization must be 0 or more, was {L1Regularization}.");
        }

        if (MaximumIterations is < 1)
        {
            problems.Add($"MaximumIterations must be at least 1, was {MaximumIterations}.");
        }

        if (Threads is < 1)
        {
            problems.Add($"Threads must be at least 1, was {Threads}.");
        }

        problems.ThrowIfAny(nameof(MlNetHeadOptions));
    }
}
