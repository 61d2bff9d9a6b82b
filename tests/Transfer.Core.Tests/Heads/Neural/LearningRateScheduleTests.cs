using Transfer.Heads.Neural;

namespace Transfer.Core.Tests.Heads.Neural;

public class LearningRateScheduleTests
{
    private const int StepsPerEpoch = 10;
    private const int TotalSteps = 100;

    [Theory]
    [InlineData(0)]
    [InlineData(57)]
    [InlineData(99)]
    public void Constant_AnyStep_ReturnsBaseRate(int step) =>
        Assert.Equal(0.01, LearningRateSchedule.Constant.LearningRate(0.01, step, StepsPerEpoch, TotalSteps));

    [Theory]
    [InlineData(0, 0)]
    [InlineData(19, 0)]
    [InlineData(20, 1)]
    [InlineData(45, 2)]
    [InlineData(99, 4)]
    public void ExponentialDecay_Defaults_AreImageClassificationTrainerStaircase(int step, int periods)
    {
        var schedule = new ExponentialDecaySchedule();
        Assert.Equal(0.01 * Math.Pow(0.94, periods), schedule.LearningRate(0.01, step, StepsPerEpoch, TotalSteps), 12);
    }

    [Fact]
    public void ExponentialDecay_NotStaircase_DecaysContinuously()
    {
        var schedule = new ExponentialDecaySchedule { DecayRate = 0.5, EpochsPerDecay = 1, Staircase = false };
        Assert.Equal(0.1 * Math.Pow(0.5, 1.5), schedule.LearningRate(0.1, 15, StepsPerEpoch, TotalSteps), 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(25)]
    [InlineData(50)]
    [InlineData(100)]
    [InlineData(150)]
    public void PolynomialDecay_MatchesFormula(int step)
    {
        var schedule = new PolynomialDecaySchedule { EndLearningRate = 0.001, Power = 2 };
        double fraction = Math.Min(step, TotalSteps) / (double)TotalSteps;
        double expected = ((0.1 - 0.001) * Math.Pow(1 - fraction, 2)) + 0.001;
        Assert.Equal(expected, schedule.LearningRate(0.1, step, StepsPerEpoch, TotalSteps), 12);
    }

    [Fact]
    public void PolynomialDecay_WithDecayEpochs_HoldsEndRateAfterwards()
    {
        var schedule = new PolynomialDecaySchedule { DecayEpochs = 2 };
        Assert.Equal(0.01 - ((0.01 - 1e-4) * 0.5), schedule.LearningRate(0.01, 10, StepsPerEpoch, TotalSteps), 12);
        Assert.Equal(1e-4, schedule.LearningRate(0.01, 60, StepsPerEpoch, TotalSteps), 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(55)]
    [InlineData(99)]
    public void CosineDecay_WarmsUpLinearlyThenFollowsCosine(int step)
    {
        var schedule = new CosineDecaySchedule { WarmupEpochs = 1, FinalRateFraction = 0.1 };
        double expected = step < 10
            ? 0.1 * (step + 1) / 10
            : 0.01 + ((0.1 - 0.01) * (1 + Math.Cos(Math.PI * (step - 10) / 90.0)) / 2);
        Assert.Equal(expected, schedule.LearningRate(0.1, step, StepsPerEpoch, TotalSteps), 12);
    }

    [Fact]
    public void CosineDecay_Ends_AtFinalFraction_AndPeaks_AfterWarmup()
    {
        var schedule = new CosineDecaySchedule();
        Assert.Equal(0.1, schedule.LearningRate(0.1, 10, StepsPerEpoch, TotalSteps), 12);
        Assert.Equal(0.1 * (1 + Math.Cos(Math.PI * 89 / 90.0)) / 2, schedule.LearningRate(0.1, 99, StepsPerEpoch, TotalSteps), 12);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(25)]
    [InlineData(60)]
    [InlineData(99)]
    public void OneCycle_MatchesFastaiCombinedCosine(int step)
    {
        var schedule = new OneCycleSchedule();
        static double Anneal(double start, double end, double p) => start + ((end - start) * (1 - Math.Cos(Math.PI * p)) / 2);
        double expected = step < 25 ? Anneal(0.1 / 25, 0.1, step / 25.0) : Anneal(0.1, 0.1 / 1e5, (step - 25) / 74.0);
        Assert.Equal(expected, schedule.LearningRate(0.1, step, StepsPerEpoch, TotalSteps), 12);
    }

    [Fact]
    public void OneCycle_StartsLowPeaksAndEndsLower()
    {
        var schedule = new OneCycleSchedule();
        Assert.Equal(0.004, schedule.LearningRate(0.1, 0, StepsPerEpoch, TotalSteps), 12);
        Assert.Equal(0.1, schedule.LearningRate(0.1, 25, StepsPerEpoch, TotalSteps), 12);
        Assert.Equal(1e-6, schedule.LearningRate(0.1, 99, StepsPerEpoch, TotalSteps), 12);
    }

    [Fact]
    public void LearningRate_NegativeStep_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant.LearningRate(0.1, -1, StepsPerEpoch, TotalSteps));
}
