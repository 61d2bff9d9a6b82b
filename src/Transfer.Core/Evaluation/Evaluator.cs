using System.Numerics.Tensors;
using Transfer.Featurization;
using Transfer.Heads;

namespace Transfer.Evaluation;

/// <summary>Evaluates a trained head on test features: the figures of ML.NET's multiclass evaluator, plus per-class figures and the confusion matrix.</summary>
public static class Evaluator
{
    /// <summary>The smallest probability the log-loss takes (as ML.NET's evaluator), so a confident mistake costs about 34.5, not infinity.</summary>
    private const float LogLossEpsilon = 1e-15f;

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
    /// <exception cref="ArgumentException">There are no rows, the sizes disagree, or a label is not a class index.</exception>
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

        // The figures of ML.NET's MulticlassClassificationEvaluator, computed here: its IDataView pipeline costs a few
        // hundred milliseconds of JIT in a fresh process for a few dozen rows. Definitions as ML.NET's (a test compares
        // them): the predicted class is the first of the highest scores, the true class's probability is clamped to
        // [1e-15, 1] for the log-loss, the reduction is relative to the entropy of the test labels, and the top-k rank
        // orders classes by score, ties by class index.
        var confusion = new int[c, c];
        var support = new int[c];
        double logLoss = 0;
        int correct = 0, correctTopK = 0;
        for (int i = 0; i < n; i++)
        {
            var p = probabilities.AsSpan(i * c, c);
            int label = labels[i];
            if ((uint)label >= (uint)c)
            {
                throw new ArgumentException($"Label {label} of row {i} is not a class index in [0, {c - 1}].", nameof(labels));
            }

            int best = TensorPrimitives.IndexOfMax(p);
            confusion[label, best]++;
            support[label]++;
            logLoss -= Math.Log(Math.Min(1f, Math.Max(LogLossEpsilon, p[label])));
            if (best == label)
            {
                correct++;
            }

            if (RankOf(p, label) < topK)
            {
                correctTopK++;
            }
        }

        logLoss /= n;
        double entropy = 0, macro = 0;
        int present = 0;
        for (int k = 0; k < c; k++)
        {
            if (support[k] > 0)
            {
                entropy -= support[k] * Math.Log((double)support[k] / n);
                macro += (double)confusion[k, k] / support[k];
                present++;
            }
        }

        entropy /= n;
        double logLossReduction = (entropy - logLoss) / entropy;

        var perClass = new List<ClassMetrics>(c);
        for (int k = 0; k < c; k++)
        {
            int truePositive = confusion[k, k];
            int predicted = 0;
            for (int j = 0; j < c; j++)
            {
                predicted += confusion[j, k];
            }

            double precision = predicted == 0 ? 0 : (double)truePositive / predicted;
            double recall = support[k] == 0 ? 0 : (double)truePositive / support[k];
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(classes[k], precision, recall, f1, support[k]));
        }

        return new EvaluationResult(classes, (double)correct / n, macro / present, logLoss, logLossReduction, topK, (double)correctTopK / n, perClass, confusion, probabilities, labels);
    }

    /// <summary>The number of classes ranked before <paramref name="label"/>: a higher score, or the same score and a lower index.</summary>
    private static int RankOf(ReadOnlySpan<float> scores, int label)
    {
        float score = scores[label];
        int rank = 0;
        for (int k = 0; k < scores.Length; k++)
        {
            if (scores[k] > score || (scores[k] == score && k < label))
            {
                rank++;
            }
        }

        return rank;
    }
}
