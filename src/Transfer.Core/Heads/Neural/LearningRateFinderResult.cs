namespace Transfer.Heads.Neural;

/// <summary>The losses a <see cref="LearningRateFinder"/> sweep recorded and the rate it suggests.</summary>
public sealed class LearningRateFinderResult
{
    internal LearningRateFinderResult(IReadOnlyList<double> learningRates, IReadOnlyList<double> losses, double minimumLossRate, double steepestRate)
    {
        LearningRates = learningRates;
        Losses = losses;
        MinimumLossRate = minimumLossRate;
        SteepestRate = steepestRate;
    }

    /// <summary>Gets the learning rate of each step of the sweep, increasing exponentially.</summary>
    public IReadOnlyList<double> LearningRates { get; }

    /// <summary>Gets the smoothed training loss after each step (fastai's exponential moving average with bias correction).</summary>
    public IReadOnlyList<double> Losses { get; }

    /// <summary>Gets the rate at which the smoothed loss was lowest (the first tenth of the sweep is ignored, as noise).</summary>
    public double MinimumLossRate { get; }

    /// <summary>Gets the rate at which the smoothed loss fell fastest against log(rate) (fastai's <c>steep</c>).</summary>
    public double SteepestRate { get; }

    /// <summary>Gets the suggested learning rate: <see cref="MinimumLossRate"/> / 10 (fastai's <c>minimum</c> suggestion, the most robust of its rules).</summary>
    public double SuggestedRate => MinimumLossRate / 10;
}
