using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads;

/// <summary>
/// Options for <see cref="AutoHeadTrainer"/>: which candidate heads are cross-validated and how the winner is chosen.
/// </summary>
public sealed class AutoHeadOptions
{
    /// <summary>The default relative log-loss tolerance within which a simpler candidate wins a tie.</summary>
    public const double DefaultTieTolerance = 0.005;

    /// <summary>
    /// The default L2 weights tried for the maximum-entropy head, strongest first. The weight applies to the summed loss
    /// (as in ML.NET's <c>LbfgsMaximumEntropy</c>, whose default is 1); the grid spans strong to very weak regularisation
    /// because the best value moved by three orders of magnitude between the development sets.
    /// </summary>
    public static IReadOnlyList<float> DefaultL2Grid { get; } = [100f, 10f, 1f, 0.1f, 0.01f, 0.001f];

    /// <summary>Gets the number of cross-validation folds (fewer when the smallest class has fewer images).</summary>
    /// <value>The default value is 5.</value>
    public int Folds { get; init; } = Evaluation.CrossValidation.DefaultFolds;

    /// <summary>Gets the seed of the fold assignment and of the neural candidates.</summary>
    /// <value>The default value is 42.</value>
    public int Seed { get; init; } = 42;

    /// <summary>Gets the L2 weights tried for the maximum-entropy head (L1 = 0), in the order of preference on a tie (simplest first).</summary>
    /// <value>The default value is <see cref="DefaultL2Grid"/>.</value>
    public IReadOnlyList<float> L2Grid { get; init; } = DefaultL2Grid;

    /// <summary>
    /// Gets a value indicating whether an MLP head (<see cref="Neural.MlpHead"/> with its default options: one hidden layer
    /// of 128, dropout 0.2, 30 epochs, early stopping on a 10 % validation split) is a candidate too, on
    /// training sets of up to <see cref="AutoHeadTrainer.MlpRowLimit"/> rows. It is tried after the maximum-entropy heads and wins only on a clearly
    /// lower cross-validated log-loss.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool IncludeMlp { get; init; } = true;

    /// <summary>
    /// Gets the relative log-loss tolerance of a tie: the first candidate (in preference order) whose cross-validated
    /// log-loss is within <c>best × (1 + TieTolerance)</c> is chosen.
    /// </summary>
    /// <value>The default value is <see cref="DefaultTieTolerance"/>.</value>
    public double TieTolerance { get; init; } = DefaultTieTolerance;

    /// <summary>
    /// Gets the time after which no further candidate is started (the ones not tried are listed as skipped), or
    /// <see langword="null"/> for no limit. The maximum-entropy grid is always completed (it is fitted as one warm-started
    /// path per fold); the budget can skip the MLP. With a budget the choice may depend on the machine's speed.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Gets a canonical description, for the run manifest.</summary>
    /// <returns>The description.</returns>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"Auto(folds={Folds}, seed={Seed}, l2=[{string.Join(',', L2Grid.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}], mlp={(IncludeMlp ? "on" : "off")}, tie={TieTolerance}, budget={(TimeBudget is { } b ? b.TotalSeconds.ToString("R", CultureInfo.InvariantCulture) + "s" : "none")})");

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (Folds < 2)
        {
            problems.Add($"Folds must be at least 2, was {Folds}.");
        }

        if (L2Grid is null || L2Grid.Count == 0)
        {
            problems.Add("L2Grid must hold at least one L2 weight, was empty.");
        }
        else if (L2Grid.Any(v => !(v >= 0) || float.IsInfinity(v)))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"L2Grid values must be finite numbers 0 or more, were [{string.Join(", ", L2Grid)}]."));
        }

        if (!(TieTolerance >= 0) || double.IsInfinity(TieTolerance))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"TieTolerance must be a finite number 0 or more, was {TieTolerance}."));
        }

        if (TimeBudget is { } budget && budget <= TimeSpan.Zero)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"TimeBudget must be positive or null (no limit), was {budget}."));
        }

        problems.ThrowIfAny(nameof(AutoHeadOptions));
    }
}
