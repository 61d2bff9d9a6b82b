using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Transfer.Core.Tests.Heads.MlNet;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.MaximumEntropy;
using Transfer.Validation;

namespace Transfer.Core.Tests.Heads.MaximumEntropy;

public sealed class MaximumEntropyHeadTrainerTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    private sealed class Scored
    {
        [VectorType]
        public float[] Score { get; set; } = [];

        public string PredictedLabel { get; set; } = string.Empty;
    }

    [Fact]
    public void Train_Blobs_LearnsAndPredictsLikeItsMlNetTransformer()
    {
        var train = MlNetHeadTrainerTests.Blobs(60, 9, 1);
        var test = MlNetHeadTrainerTests.Blobs(20, 9, 2);
        var head = new MaximumEntropyHeadTrainer().Train(train, null, Classes);
        Assert.Equal("lbfgs", head.TrainerName);
        Assert.True(Evaluator.Evaluate(head, test).MicroAccuracy > 0.9);

        var ml = new MLContext(0);
        var scored = ml.Data.CreateEnumerable<Scored>(head.ScoringTransformer.Transform(FeatureDataView.Create(ml, test, Classes)), false).ToList();
        var ours = head.PredictProbabilities(test);
        for (int i = 0; i < test.Count; i++)
        {
            for (int k = 0; k < 3; k++)
            {
                Assert.True(Math.Abs(ours[(i * 3) + k] - scored[i].Score[k]) < 1e-5, $"row {i} class {k}: {ours[(i * 3) + k]} vs {scored[i].Score[k]}");
            }

            Assert.Equal(Classes[Array.IndexOf(scored[i].Score, scored[i].Score.Max())], scored[i].PredictedLabel);
        }
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(1f, 0f)]
    [InlineData(0.1f, 3f)]
    public void Fit_SameObjectiveAsMlNet_ReachesMlNetsOptimumOrLower(float l2, float l1)
    {
        // Overlapping classes in 40 dimensions: the optimum is not at infinity and both optimizers must work for it.
        var train = Noisy(300, 40, seed: 3);
        var test = Noisy(300, 40, seed: 4);
        var options = new MaximumEntropyHeadOptions { L2Regularization = l2, L1Regularization = l1 };
        var mlnet = new MlNetHeadTrainer(new MlNetHeadOptions { L2Regularization = l2, L1Regularization = l1 }).Train(train, null, Classes);
        var ours = new MaximumEntropyHeadTrainer(options).Train(train, null, Classes);

        double mlnetObjective = MaximumEntropyHeadTrainer.Objective(train, options, mlnet);
        double ourObjective = MaximumEntropyHeadTrainer.Objective(train, options, ours);
        Assert.True(ourObjective <= mlnetObjective + (1e-5 * Math.Abs(mlnetObjective)), $"objective: ours {ourObjective}, ML.NET {mlnetObjective}");
        double ourAccuracy = Evaluator.Evaluate(ours, test).MicroAccuracy;
        double mlnetAccuracy = Evaluator.Evaluate(mlnet, test).MicroAccuracy;
        Assert.True(ourAccuracy >= mlnetAccuracy - 0.01, $"test accuracy: ours {ourAccuracy}, ML.NET {mlnetAccuracy}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Objective_Gradient_MatchesFiniteDifferences(bool centered)
    {
        var train = Noisy(50, 6, seed: 5);
        using var objective = new SoftmaxObjective(train, l2: 0.7f, threads: 1, centered);
        var random = new Random(6);
        var x = new float[objective.ParameterCount];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var gradient = new float[x.Length];
        objective.Evaluate(x, gradient);
        var scratch = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            const float h = 1e-2f;
            float saved = x[i];
            x[i] = saved + h;
            double up = objective.Evaluate(x, scratch);
            x[i] = saved - h;
            double down = objective.Evaluate(x, scratch);
            x[i] = saved;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[i]) < 2e-3, $"parameter {i}: analytic {gradient[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Objective_Centered_IsThePlainObjectiveWithShiftedBiases()
    {
        var train = Noisy(70, 5, seed: 9);
        using var plain = new SoftmaxObjective(train, l2: 1f, threads: 1);
        using var centered = new SoftmaxObjective(train, l2: 1f, threads: 1, centered: true);
        var random = new Random(10);
        var x = new float[plain.ParameterCount];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
        }

        double centeredValue = centered.Evaluate(x, new float[x.Length]);
        var shifted = x.ToArray();
        centered.Uncenter(shifted);
        Assert.NotEqual(x[0], shifted[0]); // the features' mean is not zero, so the biases move
        Assert.Equal(x[3..], shifted[3..]);
        Assert.Equal(centeredValue, plain.Evaluate(shifted, new float[x.Length]), 5);
    }

    [Fact]
    public void Fit_ThreadCount_DoesNotChangeTheResult()
    {
        var train = Noisy(5000, 24, seed: 7); // big enough for ONNX Runtime to split each product over both threads
        var one = MaximumEntropyHeadTrainer.Fit(train, new MaximumEntropyHeadOptions { Threads = 1, MaximumIterations = 30 }, default);
        var two = MaximumEntropyHeadTrainer.Fit(train, new MaximumEntropyHeadOptions { Threads = 2, MaximumIterations = 30 }, default);
        Assert.Equal(30, one.Summary.Iterations);
        Assert.Equal(one.Parameters, two.Parameters);
    }

    [Fact]
    public void Fit_ArraysLongerThanTheRows_IgnoresTheSpareValues()
    {
        var exact = Noisy(200, 8, seed: 11);
        var values = new float[exact.Values.Length + 40];
        values.AsSpan(exact.Values.Length).Fill(float.NaN); // spare capacity past the last row must never be read
        exact.Values.CopyTo(values, 0);
        var padded = new FeatureMatrix(values, exact.Count, exact.Dimension, [.. exact.Labels, 2, 2], exact.ClassCount);
        var options = new MaximumEntropyHeadOptions { MaximumIterations = 20 };
        Assert.Equal(MaximumEntropyHeadTrainer.Fit(exact, options, default).Parameters, MaximumEntropyHeadTrainer.Fit(padded, options, default).Parameters);
    }

    [Fact]
    public void Fit_LargeL1_ZeroesMostWeightsButNotTheBiases()
    {
        var train = Noisy(300, 40, seed: 8);
        var (parameters, _) = MaximumEntropyHeadTrainer.Fit(train, new MaximumEntropyHeadOptions { L1Regularization = 100 }, default);
        int zeros = parameters.Skip(3).Count(w => w == 0);
        Assert.True(zeros > 100, $"{zeros} of {parameters.Length - 3} weights are zero");
        Assert.Contains(parameters.Take(3), b => b != 0);
    }

    [Fact]
    public void Train_Cancelled_Throws()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new MaximumEntropyHeadTrainer().Train(Noisy(30, 4, 1), null, Classes, cancel.Token));
    }

    [Fact]
    public void Options_Invalid_ListsEveryProblem()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new MaximumEntropyHeadTrainer(new MaximumEntropyHeadOptions { L2Regularization = -1, L1Regularization = float.NaN, OptimizationTolerance = 0, HistorySize = 0, MaximumIterations = 0, Threads = 0 }));
        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "Invalid MaximumEntropyHeadOptions / Validation Errors:",
                "- L2Regularization must be a finite number 0 or more, was -1.",
                "- L1Regularization must be a finite number 0 or more, was NaN.",
                "- OptimizationTolerance must be a finite number above 0, was 0.",
                "- HistorySize must be at least 1, was 0.",
                "- MaximumIterations must be at least 1, was 0.",
                "- Threads must be at least 1, was 0."),
            e.Message);
    }

    [Fact]
    public void Describe_NamesTheObjectiveAndTolerance()
    {
        Assert.Equal("MaximumEntropy(l2=1, l1=1, tolerance=1E-07, history=20, iterations=default)", new MaximumEntropyHeadTrainer().Describe());
    }

    /// <summary>Three classes whose means differ slightly in every dimension, with unit noise: not separable.</summary>
    /// <summary>Three overlapping Gaussian classes: each feature's mean moves by <paramref name="separation"/> with the class.</summary>
    internal static FeatureMatrix Noisy(int rows, int dimension, int seed, double separation = 0.3)
    {
        var random = new Random(seed);
        var values = new float[rows * dimension];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = i % 3;
            for (int j = 0; j < dimension; j++)
            {
                double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                values[(i * dimension) + j] = (float)(gaussian + (separation * ((j + labels[i]) % 3)));
            }
        }

        return new FeatureMatrix(values, rows, dimension, labels, 3);
    }
}
