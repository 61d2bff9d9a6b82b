using Transfer.Images;
using Transfer.Models;
using Transfer.Pipelines;

namespace Transfer.Testing.Tests;

/// <summary>One model trained on the tiny backbone, shared by the assertion tests.</summary>
public sealed class TrainedTinyModel : IAsyncLifetime, IDisposable
{
    public SyntheticImageFolder Train { get; } = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 10, Seed = 1 });

    public SyntheticImageFolder Test { get; } = SyntheticImages.WriteToFolder(new SyntheticImageOptions { ImagesPerClass = 6, Seed = 2, Format = SyntheticImageFormat.Jpeg });

    public TransferResult Result { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Result = await TransferPipeline.For(Train.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TestOn(Test.Load()).Build().RunAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        Result?.Dispose();
        Train.Dispose();
        Test.Dispose();
    }
}

public sealed class TransferAssertTests(TrainedTinyModel trained) : IClassFixture<TrainedTinyModel>
{
    [Fact]
    public void AccuracyAtLeast_GoodEvaluation_Passes()
    {
        TransferAssert.AccuracyAtLeast(trained.Result.Evaluation, 0.9);
        Assert.Equal(18, trained.Result.Evaluation!.Count);
    }

    [Fact]
    public void AccuracyAtLeast_NoEvaluation_FailsSayingHowToGetOne()
    {
        var e = Assert.Throws<TransferAssertionException>(() => TransferAssert.AccuracyAtLeast((Transfer.Evaluation.EvaluationResult?)null, 0.5));
        Assert.Contains("TestFraction", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccuracyAtLeast_ModelOnItsTestSet_ReturnsTheAccuracy()
    {
        double accuracy = TransferAssert.AccuracyAtLeast(trained.Result.Model, trained.Test.Load(), 0.9);
        Assert.Equal(trained.Result.Evaluation!.MicroAccuracy, accuracy, 6);
    }

    [Fact]
    public void AccuracyAtLeast_WrongLabels_FailsListingTheMisclassifiedImages()
    {
        // Every label rotated by one class: a good model is now wrong on (almost) every image.
        var classes = trained.Result.Model.Classes;
        var rotated = ImageSet.FromEntries(trained.Test.Load().Entries.Select(e => e.WithLabel(classes[(IndexOf(classes, e.Label) + 1) % classes.Count])));
        var e = Assert.Throws<TransferAssertionException>(() => TransferAssert.AccuracyAtLeast(trained.Result.Model, rotated, 0.5));
        Assert.StartsWith("Expected accuracy at least 0.5 on 18 images, was ", e.Message, StringComparison.Ordinal);
        Assert.Contains("circle-000.jpg: expected square, predicted circle", e.Message, StringComparison.Ordinal);
        Assert.Contains("… and ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AccuracyAtLeast_EvaluationBelowMinimum_FailsWithTheMetricsTable()
    {
        var evaluation = Transfer.Evaluation.Evaluator.Evaluate(["a", "b"], [0.9f, 0.1f, 0.8f, 0.2f], [0, 1]);
        var e = Assert.Throws<TransferAssertionException>(() => TransferAssert.AccuracyAtLeast(evaluation, 0.75));
        Assert.StartsWith("Expected micro-accuracy at least 0.75 on 2 test images, was 0.5.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Confusion matrix", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void AccuracyAtLeast_MinimumOutsideZeroToOne_IsAnArgumentError(double minimum)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TransferAssert.AccuracyAtLeast(trained.Result.Evaluation, minimum));
        Assert.Contains("must be an accuracy in [0, 1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedAndReloadedPredictsSame_TrainedModel_PassesWithPredictorAndPlainMlNet()
    {
        // Files, so the plain ML.NET PredictionEngine path is checked too.
        var images = trained.Test.Load();
        Assert.All(images.Entries, e => Assert.NotNull(e.Path));
        TransferAssert.SavedAndReloadedPredictsSame(trained.Result.Model, images);
        TransferAssert.SavedAndReloadedPredictsSame(trained.Result.Model, SyntheticImages.InMemory(new SyntheticImageOptions { Seed = 9, Format = SyntheticImageFormat.Bmp }));
    }

    [Fact]
    public async Task PredictSame_ModelTrainedOnOtherLabels_FailsNamingTheImage()
    {
        var classes = trained.Result.Model.Classes;
        var swapped = ImageSet.FromEntries(trained.Train.Load().Entries.Select(e => e.WithLabel(classes[(IndexOf(classes, e.Label) + 1) % classes.Count])));
        using var other = await TransferPipeline.For(swapped).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TestFraction(0).Build().RunAsync();
        var e = Assert.Throws<TransferAssertionException>(() => TransferAssert.PredictSame(trained.Result.Model, other.Model, trained.Test.Load()));
        Assert.StartsWith("The model under test predicts differently on ", e.Message, StringComparison.Ordinal);
        Assert.Contains("circle-000.jpg: label square, expected circle", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PredictSame_TwoRunsWithOneSeed_Passes()
    {
        using var again = await TransferPipeline.For(trained.Train.Load()).WithBackbone(TinyBackbone.Default).WithoutBottleneckCache().TestOn(trained.Test.Load()).Build().RunAsync();
        TransferAssert.PredictSame(trained.Result.Model, again.Model, trained.Test.Load());
    }

    [Fact]
    public void PredictSame_EmptySet_FailsRatherThanPassingVacuously()
    {
        var e = Assert.Throws<TransferAssertionException>(() => TransferAssert.PredictSame(trained.Result.Model, trained.Result.Model, ImageSet.FromEntries([])));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    private static int IndexOf(IReadOnlyList<string> classes, string label)
    {
        for (int i = 0; i < classes.Count; i++)
        {
            if (classes[i] == label)
            {
                return i;
            }
        }

        throw new ArgumentException(label);
    }
}
