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
    /// <exception cref="ArgumentException">One or more values are invalid.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (L2Regularization is < 0)
        {
            errors.Add($"L2Regularization must be 0 or more, was {L2Regularization}.");
        }

        if (L1Regularization < 0)
        {
            errors.Add($"L1Regularization must be 0 or more, was {L1Regularization}.");
        }

        if (MaximumIterations is < 1)
        {
            errors.Add($"MaximumIterations must be at least 1, was {MaximumIterations}.");
        }

        if (Threads is < 1)
        {
            errors.Add($"Threads must be at least 1, was {Threads}.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid Options / Validation Errors:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        }
    }
}
