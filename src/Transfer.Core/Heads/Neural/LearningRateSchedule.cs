using Transfer.Validation;

namespace Transfer.Heads.Neural;

/// <summary>
/// A learning-rate schedule: the rate for each optimisation step, given the base rate
/// (<see cref="NeuralHeadOptions.LearningRate"/>, the peak rate for warm-up schedules).
/// </summary>
/// <remarks>Steps count mini-batches from 0 over the whole training run.</remarks>
public abstract class LearningRateSchedule
{
    /// <summary>Gets the schedule that keeps the base rate throughout.</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>Returns the learning rate for a step.</summary>
    /// <param name="baseRate">The base (peak) learning rate; positive.</param>
    /// <param name="step">The step index, from 0.</param>
    /// <param name="stepsPerEpoch">Mini-batches per epoch; at least 1.</param>
    /// <param name="totalSteps">Steps in the whole run (epochs × steps per epoch); at least 1.</param>
    /// <returns>The learning rate to use for <paramref name="step"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public double LearningRate(double baseRate, int step, int stepsPerEpoch, int totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerEpoch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        return Compute(baseRate, step, stepsPerEpoch, totalSteps);
    }

    /// <summary>Computes the learning rate for a step (arguments already checked).</summary>
    /// <param name="baseRate">The base (peak) learning rate.</param>
    /// <param name="stepIndex">The step index, from 0.</param>
    /// <param name="stepsPerEpoch">Mini-batches per epoch, at least 1.</param>
    /// <param name="totalSteps">Steps in the whole run, at least 1.</param>
    /// <returns>The learning rate.</returns>
    protected abstract double Compute(double baseRate, int stepIndex, int stepsPerEpoch, int totalSteps);

    /// <summary>Adds this schedule's option problems to <paramref name="problems"/>.</summary>
    /// <param name="problems">The collector of every validation problem.</param>
    internal virtual void Validate(ValidationProblems problems)
    {
    }
}
