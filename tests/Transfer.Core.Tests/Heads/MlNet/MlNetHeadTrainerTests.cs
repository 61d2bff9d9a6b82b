using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Validation;

namespace Transfer.Core.Tests.Heads.MlNet;

public sealed class MlNetHeadTrainerTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    private sealed class Scored
    {
        [VectorType]
        public float[] Score { get; set; } = [];

        public string PredictedLabel { get; set; } = string.Empty;
    }

    internal static FeatureMatrix Blobs(int perClass, int dimension, int seed)
    {
        var random = new Random(seed);
        int n = perClass * Classes.Length;
        var values = new float[n * dimension];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % Classes.Length;
            for (int j = 0; j < dimension; j++)
            {
                values[(i * dimension) + j] = (float)(random.NextDouble() + (j % Classes.Length == labels[i] ? 1.5 : 0));
            }
        }

        return new FeatureMatrix(values, n, dimension, labels, Classes.Length);
    }

    [Theory]
    [InlineData(MlNetTrainerKind.LbfgsMaximumEntropy)]
    [InlineData(MlNetTrainerKind.SdcaMaximumEntropy)]
    [InlineData(MlNetTrainerKind.LightGbm)]
    public void Train_EachTrainer_LearnsAndPredictsLikeItsMlNetTransformer(MlNetTrainerKind kind)
    {
        var train = Blobs(60, 9, 1);
        var test = Blobs(20, 9, 2);
        var head = new MlNetHeadTrainer(new MlNetHeadOptions { Trainer = kind, MaximumIterations = kind == MlNetTrainerKind.LightGbm ? 20 : null }).Train(train, null, Classes);
        var evaluation = Evaluator.Evaluate(head, test);
        Assert.True(evaluation.MicroAccuracy > 0.9, $"{kind}: accuracy {evaluation.MicroAccuracy}");

        var ml = new MLContext(0);
        var scored = ml.Data.CreateEnumerable<Scored>(head.ScoringTransformer.Transform(FeatureDataView.Create(ml, test, Classes)), false).ToList();
        var ours = head.PredictProbabilities(test);
        for (int i = 0; i < test.Count; i++)
        {
            for (int k = 0; k < 3; k++)
            {
                Assert.True(Math.Abs(ours[(i * 3) + k] - scored[i].Score[k]) < 1e-5, $"{kind} row {i} class {k}: {ours[(i * 3) + k]} vs {scored[i].Score[k]}");
            }
        }

        Assert.Equal(Classes[test.Labels[0]], scored[0].PredictedLabel);
    }

    [Fact]
    public void Train_OneClassPresent_SaysWhatToDo()
    {
        var one = new FeatureMatrix(new float[6], 2, 3, [1, 1], 3);
        var e = Assert.Throws<ArgumentException>(() => new MlNetHeadTrainer().Train(one, null, Classes));
        Assert.StartsWith("Only one class found in the training images (\"b\"); a classifier needs at least two.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblem()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new MlNetHeadTrainer(new MlNetHeadOptions { L1Regularization = -1, MaximumIterations = 0, Threads = 0 }));
        Assert.Equal(
            $"Invalid MlNetHeadOptions / Validation Errors:{Environment.NewLine}- L1Regularization must be 0 or more, was -1.{Environment.NewLine}- MaximumIterations must be at least 1, was 0.{Environment.NewLine}- Threads must be at least 1, was 0.",
            e.Message);
    }
}
