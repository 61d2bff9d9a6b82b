using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// Polynomial decay from the base rate to <see cref="EndLearningRate"/>:
/// <c>rate = (base − end) × (1 − min(stepIndex, decaySteps) / decaySteps) ^ Power + end</c>, where <c>decaySteps</c> is
/// <see cref="DecayEpochs"/> × steps per epoch, or the whole run when <see cref="DecayEpochs"/> is <see langword="null"/>
/// (TensorFlow's <c>polynomial_decay</c> without cycling; ML.NET's <c>PolynomialLRDecay</c> defaults otherwise).
/// </summary>
public sealed class PolynomialDecaySchedule : LearningRateSchedule
{
    /// <summary>Gets or sets the rate reached at the end of the decay.</summary>
    /// <value>The default value is 1e-4 (ML.NET's <c>PolynomialLRDecay</c>). Must be zero or positive.</value>
    public double EndLearningRate { get; set; } = 1e-4;

    /// <summary>Gets or sets the power of the polynomial; 1 is a linear decay.</summary>
    /// <value>The default value is 1. Must be positive.</value>
    public double Power { get; set; } = 1;

    /// <summary>Gets or sets the number of epochs the decay lasts, after which the rate stays at <see cref="EndLearningRate"/>.</summary>
    /// <value>The default value is <see langword="null"/>: the decay spans the whole run. Must be positive when set.</value>
    public double? DecayEpochs { get; set; }

    /// <inheritdoc/>
    protected override double Compute(double baseRate, int stepIndex, int stepsPerEpoch, int totalSteps)
    {
        double decaySteps = DecayEpochs is double epochs ? epochs * stepsPerEpoch : totalSteps;
        double fraction = Math.Min(stepIndex, decaySteps) / decaySteps;
        return ((baseRate - EndLearningRate) * Math.Pow(1 - fraction, Power)) + EndLearningRate;
    }

    /// <inheritdoc/>
    internal override void Validate(ValidationProblems problems)
    {
        if (!(EndLearningRate >= 0))
        {
            problems.Add($"PolynomialDecaySchedule.EndLearningRate must be zero or positive, was {EndLearningRate.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!(Power > 0))
        {
            problems.Add($"PolynomialDecaySchedule.Power must be positive, was {Power.ToString(CultureInfo.InvariantCulture)}; 1 is a linear decay.");
        }

        if (DecayEpochs is double epochs && !(epochs > 0))
        {
            problems.Add($"PolynomialDecaySchedule.DecayEpochs must be positive or null (the whole run), was {epochs.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"PolynomialDecay(to {EndLearningRate}, power {Power})");
}
