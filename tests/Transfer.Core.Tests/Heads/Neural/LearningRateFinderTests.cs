using Transfer.Featurization;
using Transfer.Heads.Neural;
using Transfer.Validation;

namespace Transfer.Core.Tests.Heads.Neural;

public class LearningRateFinderTests
{
    private static readonly FeatureMatrix Train = SyntheticFeatures.Blobs(2000, 32, 4, seed: 17, spread: 2.0);

    [Fact]
    public void Find_Blobs_SuggestsARateThatTrains()
    {
        var options = new NeuralHeadOptions { HiddenLayers = [32], Seed = 2 };
        var head = new MlpHead(options);
        LearningRateFinderResult result = new LearningRateFinder().Find(head, Train);

        // The sweep rises exponentially, stops when the loss diverges, and suggests a rate below the minimum.
        Assert.True(result.LearningRates.Count is > 20 and < 100, $"{result.LearningRates.Count} steps: {string.Join(", ", result.Losses.Select((l, i) => $"{result.LearningRates[i]:G2}:{l:F3}"))}");
        Assert.Equal(1e-7, result.LearningRates[0], 12);
        Assert.Equal(result.LearningRates[1] / result.LearningRates[0], result.LearningRates[2] / result.LearningRates[1], 9);
        Assert.Equal(result.MinimumLossRate / 10, result.SuggestedRate);
        Assert.InRange(result.SuggestedRate, 1e-3, 1.0);
        Assert.InRange(result.SteepestRate, 1e-5, result.MinimumLossRate);
        Assert.True(result.Losses.Min() < result.Losses[0] * 0.75, $"{result.Losses.Count} steps: {string.Join(", ", result.Losses.Select((l, i) => $"{result.LearningRates[i]:G2}:{l:F3}"))}; suggested {result.SuggestedRate}, steepest {result.SteepestRate}");

        options.LearningRate = result.SuggestedRate;
        options.Epochs = 3;
        TrainedNeuralHead trained = head.TrainedOn(Train);
        Assert.True(trained.History.Epochs[^1].ValidationAccuracy > 0.9, trained.History.Epochs[^1].ToString());
    }

    [Fact]
    public void Find_InvalidSettings_ListsEveryFailure()
    {
        var finder = new LearningRateFinder { StartRate = 1, EndRate = 0.1, Steps = 2 };
        var error = Assert.Throws<OptionsValidationException>(() => finder.Find(new SoftmaxHead(), Train));
        Assert.Equal(
            "Invalid NeuralHeadOptions or training data / Validation Errors:" + Environment.NewLine
            + "- LearningRateFinder.StartRate must be positive and below EndRate, were 1 and 0.1; fastai uses 1e-7 and 10." + Environment.NewLine
            + "- LearningRateFinder.Steps must be at least 5, was 2; fastai uses 100.",
            error.Message);
    }
}
