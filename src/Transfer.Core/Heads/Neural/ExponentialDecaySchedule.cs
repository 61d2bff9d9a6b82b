using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// Exponential decay: <c>rate = base × DecayRate ^ (stepIndex / (EpochsPerDecay × stepsPerEpoch))</c>, the exponent
/// rounded down when <see cref="Staircase"/> is set. The defaults are ML.NET <c>ImageClassificationTrainer</c>'s
/// default schedule: × 0.94 every 2 epochs, staircase.
/// </summary>
public sealed class ExponentialDecaySchedule : LearningRateSchedule
{
    /// <summary>Gets or sets the factor applied once per decay period.</summary>
    /// <value>The default value is 0.94. Must be in (0, 1].</value>
    public double DecayRate { get; set; } = 0.94;

    /// <summary>Gets or sets the length of a decay period in epochs.</summary>
    /// <value>The default value is 2. Must be positive.</value>
    public double EpochsPerDecay { get; set; } = 2;

    /// <summary>Gets or sets a value indicating whether the rate drops in steps at period ends rather than continuously.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Staircase { get; set; } = true;

    /// <inheritdoc/>
    protected override double Compute(double baseRate, int stepIndex, int stepsPerEpoch, int totalSteps)
    {
        double exponent = stepIndex / (EpochsPerDecay * stepsPerEpoch);
        if (Staircase)
        {
            exponent = Math.Floor(exponent);
        }

        return baseRate * Math.Pow(DecayRate, exponent);
    }

    /// <inheritdoc/>
    internal override void Validate(ValidationProblems problems)
    {
        if (!(DecayRate > 0 && DecayRate <= 1))
        {
            problems.Add($"ExponentialDecaySchedule.DecayRate must be in (0, 1], was {DecayRate.ToString(CultureInfo.InvariantCulture)}; 0.94 is ImageClassificationTrainer's value.");
        }

        if (!(EpochsPerDecay > 0))
        {
            problems.Add($"ExponentialDecaySchedule.EpochsPerDecay must be positive, was {EpochsPerDecay.ToString(CultureInfo.InvariantCulture)}; 2 is ImageClassificationTrainer's value.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"ExponentialDecay(×{DecayRate} every {EpochsPerDecay} epochs{(Staircase ? ", staircase" : string.Empty)})");
}
