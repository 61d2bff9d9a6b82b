using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Core.Tests.Heads.MlNet;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Similarity;
using Transfer.Validation;

namespace Transfer.Core.Tests.Heads.Similarity;

public sealed class SimilarityHeadTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    public static TheoryData<string> Heads => ["prototype", "knn"];

    private static HeadTrainer Trainer(string name) => name == "knn" ? new NearestNeighborHeadTrainer() : new PrototypeHeadTrainer();

    [Theory]
    [MemberData(nameof(Heads))]
    public void Train_SeparatedBlobs_ClassifiesHeldOutRowsAndProbabilitiesSumToOne(string name)
    {
        var head = Trainer(name).Train(MlNetHeadTrainerTests.Blobs(10, 8, 2), null, Classes);
        Assert.Equal(name, head.TrainerName);
        var test = MlNetHeadTrainerTests.Blobs(20, 8, 3);
        Assert.True(Evaluator.Evaluate(head, test).MicroAccuracy > 0.9);
        var p = head.PredictProbabilities(test);
        for (int i = 0; i < test.Count; i++)
        {
            Assert.InRange(p.AsSpan(i * 3, 3).ToArray().Sum(), 0.999f, 1.001f);
        }
    }

    [Theory]
    [MemberData(nameof(Heads))]
    public void ScoringTransformer_PlainMlNetAfterSaveAndLoad_SameProbabilitiesAsPredict(string name)
    {
        var head = Trainer(name).Train(MlNetHeadTrainerTests.Blobs(6, 8, 4), null, Classes);
        var test = MlNetHeadTrainerTests.Blobs(5, 8, 5);
        var ml = new MLContext(0);
        var data = FeatureDataView.CreateUnlabelled(ml, test.Values, test.Count, test.Dimension);
        using var stream = new MemoryStream();
        ml.Model.Save(head.ScoringTransformer, data.Schema, stream);
        stream.Position = 0;
        var loaded = new MLContext(1).Model.Load(stream, out _);
        // GetColumn reuses one buffer: copy each row out.
        var scores = loaded.Transform(data).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToList();
        var expected = head.PredictProbabilities(test);
        for (int i = 0; i < test.Count; i++)
        {
            var row = scores[i];
            for (int k = 0; k < 3; k++)
            {
                Assert.True(Math.Abs(expected[(i * 3) + k] - row[k]) <= 1e-4, $"row {i} class {k}: Predict {expected[(i * 3) + k]}, ML.NET {row[k]}");
            }
        }
    }

    [Fact]
    public void Prototype_OneImagePerClass_TrainsWithTheFallbackTemperature()
    {
        var one = MlNetHeadTrainerTests.Blobs(1, 8, 6);
        var head = Assert.IsType<TrainedPrototypeHead>(new PrototypeHeadTrainer().Train(one, null, Classes));
        Assert.Equal(PrototypeHeadTrainer.FallbackTemperature, head.Temperature);
        Assert.Equal([1, 1, 1], head.ImagesPerClass);
        Assert.True(Evaluator.Evaluate(head, MlNetHeadTrainerTests.Blobs(20, 8, 7)).MicroAccuracy > 0.8);
    }

    [Fact]
    public void Prototype_CalibratedTemperature_LowerLeaveOneOutLossThanFarOffOnes()
    {
        // Overlapping blobs: the calibrated temperature must beat a far too cold and a far too hot one on held-out rows.
        var train = SyntheticFeaturesFor(60, seed: 8);
        var test = SyntheticFeaturesFor(60, seed: 9);
        var calibrated = (TrainedPrototypeHead)new PrototypeHeadTrainer().Train(train, null, Classes);
        double loss = Evaluator.Evaluate(calibrated, test).LogLoss;
        foreach (float t in new[] { calibrated.Temperature / 20, calibrated.Temperature * 20 })
        {
            var other = new PrototypeHeadTrainer(new PrototypeHeadOptions { Temperature = t }).Train(train, null, Classes);
            Assert.True(Evaluator.Evaluate(other, test).LogLoss > loss, $"temperature {t} beat the calibrated {calibrated.Temperature}");
        }
    }

    [Fact]
    public void Prototype_ClassWithoutImages_NeverPredicted()
    {
        var data = MlNetHeadTrainerTests.Blobs(5, 8, 2);
        var rows = Enumerable.Range(0, data.Count).Where(i => data.Labels[i] != 2).ToList();
        var head = new PrototypeHeadTrainer().Train(data.Select(rows), null, Classes);
        var p = head.PredictProbabilities(MlNetHeadTrainerTests.Blobs(10, 8, 3));
        Assert.All(Enumerable.Range(0, p.Length / 3), i => Assert.True(p[(i * 3) + 2] < 1e-6f));
    }

    [Fact]
    public void NearestNeighbor_MoreNeighborsThanImages_UsesEveryImage()
    {
        var head = Assert.IsType<TrainedNearestNeighborHead>(new NearestNeighborHeadTrainer(new NearestNeighborHeadOptions { Neighbors = 50 }).Train(MlNetHeadTrainerTests.Blobs(3, 8, 2), null, Classes));
        Assert.Equal((9, 9), (head.Neighbors, head.ImageCount));
        Assert.True(Evaluator.Evaluate(head, MlNetHeadTrainerTests.Blobs(10, 8, 3)).MicroAccuracy > 0.9);
    }

    [Fact]
    public void Top_KeepsTheLargestInOrderAndTheLowerIndexOnTies()
    {
        var values = new float[3];
        NearestNeighbors.Top([0.1f, 0.9f, 0.5f, 0.9f, -1f, 0.7f], values, out var indices, 3);
        Assert.Equal([0.9f, 0.9f, 0.7f], values);
        Assert.Equal([1, 3, 5], indices);
    }

    [Fact]
    public void Options_EveryBadValue_ListedInOneException()
    {
        var knn = Assert.Throws<OptionsValidationException>(() => new NearestNeighborHeadTrainer(new NearestNeighborHeadOptions { Neighbors = 0, Temperature = -1 }));
        Assert.Equal(2, knn.Problems.Count);
        Assert.Contains(knn.Problems, p => p.StartsWith("Neighbors must be at least 1, was 0.", StringComparison.Ordinal));
        var prototype = Assert.Throws<OptionsValidationException>(() => new PrototypeHeadTrainer(new PrototypeHeadOptions { Temperature = float.NaN }));
        Assert.Contains("Temperature must be a finite number above 0", Assert.Single(prototype.Problems), StringComparison.Ordinal);
    }

    private static FeatureMatrix SyntheticFeaturesFor(int perClass, int seed) => Transfer.Core.Tests.Heads.Neural.SyntheticFeatures.Blobs(perClass * 3, 8, 3, seed: 21, spread: 2.0, noiseSeed: seed);
}
