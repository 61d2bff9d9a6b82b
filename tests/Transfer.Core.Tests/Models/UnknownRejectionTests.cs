using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Models;
using Transfer.Testing;

namespace Transfer.Core.Tests.Models;

/// <summary>The "unknown" threshold: chosen on held-out probabilities, applied by the predictor.</summary>
public sealed class UnknownRejectionTests
{
    /// <summary>Twenty held-out rows of two classes whose highest probabilities are 0.525, 0.55, …, 1.0; the odd rows are wrong.</summary>
    private static EvaluationResult HeldOut()
    {
        var probabilities = new float[40];
        var labels = new int[20];
        for (int i = 0; i < 20; i++)
        {
            float best = 0.5f + ((i + 1) * 0.025f);
            probabilities[2 * i] = best;
            probabilities[(2 * i) + 1] = 1 - best;
            labels[i] = i % 2;
        }

        return Evaluator.Evaluate(["a", "b"], probabilities, labels);
    }

    [Fact]
    public void Choose_TenPercent_RejectsTheTwoLeastConfidentAndDrawsTheCurve()
    {
        var u = UnknownRejection.Choose(HeldOut(), 0.1);

        Assert.Equal(0.575f, u.Threshold, 5);
        Assert.Equal(0.1, u.MeasuredFalseRejectionRate, 6);
        Assert.Equal((UnknownThreshold.MaximumProbability, 20, AccuracyEstimate.CrossValidated), (u.Score, u.HeldOutImages, u.Source));
        Assert.Equal(20, u.Curve.Count);
        Assert.Equal((1f, 0.95), (u.Curve[^1].Threshold, u.Curve[^1].FalseRejectionRate));
        Assert.Equal(0.5, u.Curve[0].AcceptedAccuracy, 6); // every row kept: the even ones are right
        Assert.Equal(0.0, UnknownRejection.Choose(HeldOut(), 0).MeasuredFalseRejectionRate);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Choose_RateOutsideZeroToOne_ThrowsNamingTheFix(double rate)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => UnknownRejection.Choose(HeldOut(), rate));

        Assert.Contains("must be in [0, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predictor_RejectUnknown_AnswersUnknownBelowTheThresholdAndNeedsOne()
    {
        var images = SyntheticImages.InMemory(new SyntheticImageOptions { ImagesPerClass = 3 });
        using var featurizer = new Featurizer(TinyBackbone.Default, new FeaturizerOptions { OptimizedGraphDirectory = null });
        var features = await featurizer.FeaturizeAsync(images);
        var head = new PrototypeHeadTrainer().Train(features.Features, null, features.Classes);
        using var model = TransferModel.Create(featurizer, head, "prototype");
        var options = new PredictorOptions { OptimizedGraphDirectory = null, RejectUnknown = true };

        var e = Assert.Throws<InvalidOperationException>(() => model.CreatePredictor(options));
        Assert.Contains("stores no unknown threshold", e.Message, StringComparison.Ordinal);

        using var strict = model.With(model.Manifest with { Unknown = new UnknownThreshold { Threshold = 1.01f, FalseRejectionRate = 0.05 } }, head);
        using var rejecting = strict.CreatePredictor(options);
        using var overridden = strict.CreatePredictor(new PredictorOptions { OptimizedGraphDirectory = null, RejectUnknown = true, UnknownThreshold = 0f });
        var rejected = rejecting.Predict(images.Entries[0].ReadBytes());
        var kept = overridden.Predict(images.Entries[0].ReadBytes());

        Assert.True(rejected.IsUnknown);
        Assert.Equal(Prediction.UnknownLabel, rejected.Label);
        Assert.Equal(kept.Top[0], rejected.Top[0]); // the best known class is still listed
        Assert.False(kept.IsUnknown);
        Assert.Equal(images.Entries[0].Label, kept.Label);
    }
}
