namespace Transfer.Heads.Neural;

/// <summary>Keeps the base learning rate for every step (Keras' default).</summary>
public sealed class ConstantSchedule : LearningRateSchedule
{
    /// <inheritdoc/>
    protected override double Compute(double baseRate, int stepIndex, int stepsPerEpoch, int totalSteps) => baseRate;

    /// <inheritdoc/>
    public override string ToString() => "Constant";
}
