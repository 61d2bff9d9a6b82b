using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Featurization;
using Transfer.Heads;

namespace Transfer.Evaluation;

/// <summary>Evaluates a trained head on test features with ML.NET's multiclass evaluator.</summary>
public static class Evaluator
{
    /// <summary>Scores the test features with the head and computes the metrics.</summary>
    /// <param name="head">The trained head.</param>
    /// <param name="test">Test features with their true class indices.</param>
    /// <param name="topK">The k of the top-k accuracy.</param>
    /// <param name="cancellationToken">Checked before scoring (scoring features is one short call).</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">The test set is empty or its classes differ from the head's.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static EvaluationResult Evaluate(TrainedHead head, FeatureMatrix test, int topK = 3, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(test);
        cancellationToken.ThrowIfCancellationRequested();
        if (test.ClassCount != head.Classes.Count)
        {
            throw new ArgumentException($"The test set has {test.ClassCount} classes but the head was trained on {head.Classes.Count}. Use the training set's class list for the test set.", nameof(test));
        }

        return Evaluate(head.Classes, head.PredictProbabilities(test), test.Labels.AsSpan(0, test.Count).ToArray(), topK);
    }

    /// <summary>Computes the metrics from predicted probabilities and true class indices.</summary>
    /// <param name="classes">Class names.</param>
    /// <param name="probabilities">Row-major probabilities, rows × classes.</param>
    /// <param name="labels">True class index of each row.</param>
    /// <param name="topK">The k of the top-k accuracy.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">There are no rows, or the sizes disagree.</exception>
    public static EvaluationResult Evaluate(IReadOnlyList<string> classes, float[] probabilities, int[] labels, int topK = 3)
    {
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        int n = labels.Length;
        int c = classes.Count;
        if (n == 0)
        {
            throw new ArgumentException("There are no test images to evaluate on. Give a test set or a test fraction above 0.", nameof(labels));
        }

        if (probabilities.Length != n * c)
        {
            throw new ArgumentException($"Expected {n} × {c} probabilities, got {probabilities.Length}.", nameof(probabilities));
        }

        topK = Math.Clamp(topK, 1, c);
        var ml = new MLContext(0);
        var rows = new List<ScoredRow>(n);
        for (int i = 0; i < n; i++)
        {
            var p = probabilities.AsSpan(i * c, c);
            int best = TensorPrimitives.IndexOfMax(p);

            rows.Add(new ScoredRow { Label = (uint)labels[i], Score = p.ToArray(), PredictedLabel = (uint)best }); // 0-based: LoadFromEnumerable stores index + 1
        }

        var schema = SchemaDefinition.Create(typeof(ScoredRow));
        schema[nameof(ScoredRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), c);
        schema[nameof(ScoredRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), c);
        schema[nameof(ScoredRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, c);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var metrics = ml.MulticlassClassification.Evaluate(data, nameof(ScoredRow.Label), nameof(ScoredRow.Score), nameof(ScoredRow.PredictedLabel), topK);

        var confusion = new int[c, c];
        for (int i = 0; i < n; i++)
        {
            confusion[labels[i], (int)rows[i].PredictedLabel]++;
        }

        var perClass = new List<ClassMetrics>(c);
        for (int k = 0; k < c; k++)
        {
            int truePositive = confusion[k, k];
            int support = 0, predicted = 0;
            for (int j = 0; j < c; j++)
            {
                support += confusion[k, j];
                predicted += confusion[j, k];
            }

            double precision = predicted == 0 ? 0 : (double)truePositive / predicted;
            double recall = support == 0 ? 0 : (double)truePositive / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(classes[k], precision, recall, f1, support));
        }

        return new EvaluationResult(classes, metrics.MicroAccuracy, metrics.MacroAccuracy, metrics.LogLoss, metrics.LogLossReduction, topK, metrics.TopKAccuracy, perClass, confusion, probabilities, labels);
    }

    private sealed class ScoredRow
    {
        public uint Label { get; set; }

        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }
}
