using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Evaluation;

namespace Transfer.Core.Tests.Evaluation;

/// <summary>The evaluator computes ML.NET's multiclass figures itself; these tests hold it to ML.NET's own evaluator.</summary>
public sealed class EvaluatorTests
{
    public static TheoryData<int, int, int, int> Cases => new()
    {
        // seed, rows, classes, top-k
        { 1, 40, 3, 2 },
        { 2, 200, 5, 3 },
        { 3, 17, 10, 5 },
        { 4, 60, 4, 1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_RandomScores_MatchesMlNetMulticlassEvaluator(int seed, int rows, int classes, int topK)
    {
        var random = new Random(seed);
        var probabilities = new float[rows * classes];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            // Some rows confident, some flat, some with tied scores and a zero probability for the true class.
            float sum = 0;
            for (int k = 0; k < classes; k++)
            {
                float v = i % 7 == 0 ? 1f : (float)Math.Pow(random.NextDouble(), 3);
                probabilities[(i * classes) + k] = v;
                sum += v;
            }

            for (int k = 0; k < classes; k++)
            {
                probabilities[(i * classes) + k] /= sum;
            }

            labels[i] = random.Next(classes);
            if (i % 11 == 5)
            {
                probabilities[(i * classes) + labels[i]] = 0f;
            }
        }

        var names = Enumerable.Range(0, classes).Select(k => $"c{k}").ToArray();
        var actual = Evaluator.Evaluate(names, probabilities, labels, topK);
        var expected = MlNetMetrics(probabilities, labels, classes, topK);

        Assert.Equal(expected.MicroAccuracy, actual.MicroAccuracy, 1e-9);
        Assert.Equal(expected.MacroAccuracy, actual.MacroAccuracy, 1e-9);
        Assert.Equal(expected.LogLoss, actual.LogLoss, 1e-6);
        Assert.Equal(expected.LogLossReduction, actual.LogLossReduction, 1e-6);
        Assert.Equal(expected.TopKAccuracy, actual.TopKAccuracy, 1e-9);
        for (int t = 0; t < classes; t++)
        {
            for (int p = 0; p < classes; p++)
            {
                Assert.Equal(expected.ConfusionMatrix.GetCountForClassPair(p, t), actual.ConfusionMatrix[t, p]);
            }
        }
    }

    [Fact]
    public void Evaluate_LabelOutsideTheClasses_ThrowsNamingTheRow()
    {
        var e = Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(["a", "b"], [0.9f, 0.1f, 0.2f, 0.8f], [0, 2]));
        Assert.StartsWith("Label 2 of row 1 is not a class index in [0, 1].", e.Message, StringComparison.Ordinal);
    }

    /// <summary>ML.NET's MulticlassClassificationEvaluator on the same rows (as the evaluator used it: LoadFromEnumerable stores a 0-based key index).</summary>
    private static MulticlassClassificationMetrics MlNetMetrics(float[] probabilities, int[] labels, int classes, int topK)
    {
        var ml = new MLContext(0);
        var rows = new List<Row>();
        for (int i = 0; i < labels.Length; i++)
        {
            var p = probabilities.AsSpan(i * classes, classes).ToArray();
            rows.Add(new Row { Label = (uint)labels[i], Score = p, PredictedLabel = (uint)Array.IndexOf(p, p.Max()) });
        }

        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Label)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        schema[nameof(Row.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), classes);
        schema[nameof(Row.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, classes);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        return ml.MulticlassClassification.Evaluate(data, nameof(Row.Label), nameof(Row.Score), nameof(Row.PredictedLabel), topK);
    }

    private sealed class Row
    {
        public uint Label { get; set; }

        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }
}
