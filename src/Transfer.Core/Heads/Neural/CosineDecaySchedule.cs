using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// Linear warm-up then cosine decay. With <c>w = WarmupEpochs × stepsPerEpoch</c> (rounded) warm-up steps:
/// <c>rate = base × (stepIndex + 1) / w</c> while <c>stepIndex &lt; w</c>, then
/// <c>rate = min + (base − min) × (1 + cos(π × (stepIndex − w) / (totalSteps − w))) / 2</c>, with
/// <c>min = base × FinalRateFraction</c> (SGDR / Hugging Face <c>cosine_with_warmup</c>).
/// </summary>
public sealed class CosineDecaySchedule : LearningRateSchedule
{
    /// <summary>Gets or sets the length of the linear warm-up in epochs.</summary>
    /// <value>The default value is 1. Must be zero or positive.</value>
    public double WarmupEpochs { get; set; } = 1;

    /// <summary>Gets or sets the final rate as a fraction of the base rate.</summary>
    /// <value>The default value is 0. Must be in [0, 1].</value>
    public double FinalRateFraction { get; set; }

    /// <inheritdoc/>
    protected override double Compute(double baseRate, int stepIndex, int stepsPerEpoch, int totalSteps)
    {
        int warmup = Math.Min((int)Math.Round(WarmupEpochs * stepsPerEpoch), totalSteps - 1);
        if (stepIndex < warmup)
        {
            return baseRate * (stepIndex + 1) / warmup;
        }

        double progress = Math.Min(1.0, (double)(stepIndex - warmup) / Math.Max(1, totalSteps - warmup));
        double min = baseRate * FinalRateFraction;
        return min + ((baseRate - min) * (1 + Math.Cos(Math.PI * progress)) / 2);
    }

    /// <inheritdoc/>
    internal override void Validate(ValidationProblems problems)
    {
        if (!(WarmupEpochs >= 0))
        {
            problems.Add($"CosineDecaySchedule.WarmupEpochs must be zero or positive, was {WarmupEpochs.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!(FinalRateFraction >= 0 && FinalRateFraction <= 1))
        {
            problems.Add($"CosineDecaySchedule.FinalRateFraction must be in [0, 1], was {FinalRateFraction.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"CosineDecay(warm-up {WarmupEpochs} epochs)");
}
