using System.Globalization;
using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// The one-cycle policy (Smith; fastai <c>fit_one_cycle</c>): with <c>w = round(PctStart × totalSteps)</c> steps,
/// the rate rises from <c>base / DivFactor</c> to the base rate by cosine annealing over steps <c>0 … w</c>,
/// then falls by cosine annealing to <c>base / FinalDivFactor</c> at the last stepIndex.
/// Cosine annealing from <c>a</c> to <c>b</c> at position <c>p</c> ∈ [0, 1] is <c>a + (b − a) × (1 − cos(π p)) / 2</c>.
/// </summary>
/// <remarks>Momentum is not cycled.</remarks>
public sealed class OneCycleSchedule : LearningRateSchedule
{
    /// <summary>Gets or sets the fraction of the run spent rising.</summary>
    /// <value>The default value is 0.25 (fastai). Must be in [0, 1).</value>
    public double PctStart { get; set; } = 0.25;

    /// <summary>Gets or sets the ratio of the peak rate to the starting rate.</summary>
    /// <value>The default value is 25 (fastai, PyTorch). Must be at least 1.</value>
    public double DivFactor { get; set; } = 25;

    /// <summary>Gets or sets the ratio of the peak rate to the final rate.</summary>
    /// <value>The default value is 1e5 (fastai <c>div_final</c>). Must be at least 1.</value>
    public double FinalDivFactor { get; set; } = 1e5;

    /// <inheritdoc/>
    protected override double Compute(double baseRate, int stepIndex, int stepsPerEpoch, int totalSteps)
    {
        int rising = (int)Math.Round(PctStart * totalSteps);
        if (stepIndex < rising)
        {
            return Anneal(baseRate / DivFactor, baseRate, (double)stepIndex / rising);
        }

        double position = totalSteps - 1 > rising ? Math.Min(1.0, (double)(stepIndex - rising) / (totalSteps - 1 - rising)) : 1.0;
        return Anneal(baseRate, baseRate / FinalDivFactor, position);
    }

    /// <inheritdoc/>
    internal override void Validate(ValidationProblems problems)
    {
        if (!(PctStart >= 0 && PctStart < 1))
        {
            problems.Add($"OneCycleSchedule.PctStart must be in [0, 1), was {PctStart.ToString(CultureInfo.InvariantCulture)}; fastai uses 0.25.");
        }

        if (!(DivFactor >= 1))
        {
            problems.Add($"OneCycleSchedule.DivFactor must be at least 1, was {DivFactor.ToString(CultureInfo.InvariantCulture)}; fastai uses 25.");
        }

        if (!(FinalDivFactor >= 1))
        {
            problems.Add($"OneCycleSchedule.FinalDivFactor must be at least 1, was {FinalDivFactor.ToString(CultureInfo.InvariantCulture)}; fastai uses 1e5.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"OneCycle(pct {PctStart}, div {DivFactor}, final div {FinalDivFactor})");

    private static double Anneal(double start, double end, double position) => start + ((end - start) * (1 - Math.Cos(Math.PI * position)) / 2);
}
