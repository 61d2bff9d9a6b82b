using Transfer.Featurization;
using Transfer.Heads;

namespace Transfer.Evaluation;

/// <summary>
/// Stratified k-fold cross-validation on cached feature rows: every row is scored once by a head trained on the other
/// folds, so an accuracy estimate uses every image and the final model can be trained on all of them.
/// </summary>
public static class CrossValidation
{
    /// <summary>The default number of folds.</summary>
    public const int DefaultFolds = 5;

    /// <summary>
    /// Assigns each row to one of <paramref name="folds"/> folds, stratified by class: each class's rows are shuffled with
    /// <paramref name="seed"/> and dealt round-robin, continuing where the previous class stopped, so every fold gets its
    /// share of every class (±1) and the fold sizes differ by at most one. Deterministic for a seed.
    /// </summary>
    /// <param name="labels">The class index of each row.</param>
    /// <param name="folds">The number of folds, at least 2.</param>
    /// <param name="seed">The shuffle seed.</param>
    /// <returns>The fold index (0 … <paramref name="folds"/> − 1) of each row.</returns>
    /// <exception cref="ArgumentException"><paramref name="folds"/> is below 2 or above the number of rows.</exception>
    public static int[] StratifiedFolds(IReadOnlyList<int> labels, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (folds < 2 || folds > labels.Count)
        {
            throw new ArgumentException($"Parameter \"folds\" must be between 2 and the number of rows ({labels.Count}), was {folds}.", nameof(folds));
        }

        var byClass = new SortedDictionary<int, List<int>>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (!byClass.TryGetValue(labels[i], out var rows))
            {
                byClass[labels[i]] = rows = [];
            }

            rows.Add(i);
        }

        var random = new Random(seed);
        var assignment = new int[labels.Count];
        int next = 0;
        foreach (var rows in byClass.Values)
        {
            var shuffled = rows.ToArray();
            random.Shuffle(shuffled);
            foreach (int row in shuffled)
            {
                assignment[row] = next;
                next = (next + 1) % folds;
            }
        }

        return assignment;
    }

    /// <summary>The largest number of folds usable for the rows: at most <paramref name="folds"/>, and at most the size of the smallest class (so each class can appear in every training part).</summary>
    /// <param name="labels">The class index of each row.</param>
    /// <param name="folds">The folds asked for.</param>
    /// <returns>The folds to use; below 2 when cross-validation is impossible (a class has a single image).</returns>
    public static int UsableFolds(IReadOnlyList<int> labels, int folds)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var counts = new Dictionary<int, int>();
        foreach (int label in labels)
        {
            counts[label] = counts.GetValueOrDefault(label) + 1;
        }

        return counts.Count == 0 ? 0 : Math.Min(folds, counts.Values.Min());
    }

    /// <summary>
    /// Cross-validates a head trainer: for each fold, trains on the other folds and predicts the fold's rows.
    /// </summary>
    /// <param name="trainer">The head trainer.</param>
    /// <param name="features">The feature rows and their labels.</param>
    /// <param name="classes">The class names.</param>
    /// <param name="folds">The fold index of each row (<see cref="StratifiedFolds"/>).</param>
    /// <param name="cancellationToken">Checked between folds.</param>
    /// <returns>The out-of-fold probabilities (rows × classes) and the accuracy of each fold.</returns>
    /// <exception cref="ArgumentException">The trainer refuses a fold's training part (e.g. only one class in it).</exception>
    public static CrossValidationResult Run(HeadTrainer trainer, FeatureMatrix features, IReadOnlyList<string> classes, int[] folds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(folds);
        return Run(rows => trainer.Train(features.Select(rows), null, classes, cancellationToken), features, classes, folds, cancellationToken);
    }

    /// <summary>
    /// Cross-validates with a function that trains a head on the given rows (the pipeline adds those rows' augmented
    /// views): each fold's head scores that fold's held-out rows, and the out-of-fold probabilities are evaluated together.
    /// </summary>
    /// <param name="trainOnRows">Trains a head on the rows (indices into <paramref name="features"/>) of the other folds.</param>
    /// <param name="features">Every row, with its class index.</param>
    /// <param name="classes">Class names.</param>
    /// <param name="folds">The fold of each row, 0 … k − 1 (<see cref="StratifiedFolds"/>).</param>
    /// <param name="cancellationToken">Checked between folds.</param>
    /// <returns>The evaluation of the out-of-fold predictions and the per-fold accuracies.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CrossValidationResult Run(Func<IReadOnlyList<int>, TrainedHead> trainOnRows, FeatureMatrix features, IReadOnlyList<string> classes, int[] folds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trainOnRows);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(folds);
        int k = folds.Max() + 1;
        int c = classes.Count;
        var probabilities = new float[features.Count * c];
        var foldAccuracy = new double[k];
        for (int fold = 0; fold < k; fold++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (trainRows, testRows) = Split(folds, fold);
            var head = trainOnRows(trainRows);
            var test = features.Select(testRows);
            int correct = ScatterFold(head.PredictProbabilities(test), test, testRows, probabilities);
            foldAccuracy[fold] = testRows.Count == 0 ? 0 : (double)correct / testRows.Count;
        }

        var labels = features.Labels.AsSpan(0, features.Count).ToArray();
        return new CrossValidationResult(Evaluator.Evaluate(classes, probabilities, labels), foldAccuracy);
    }

    /// <summary>The training and test rows of one fold.</summary>
    internal static (List<int> Train, List<int> Test) Split(int[] folds, int fold)
    {
        var train = new List<int>(folds.Length);
        var test = new List<int>((folds.Length / Math.Max(1, folds.Max() + 1)) + 1);
        for (int i = 0; i < folds.Length; i++)
        {
            (folds[i] == fold ? test : train).Add(i);
        }

        return (train, test);
    }

    /// <summary>
    /// Copies a fold's predicted probabilities (rows of <paramref name="test"/>, in order) to their rows of the
    /// out-of-fold array and counts the rows whose most probable class is the true one.
    /// </summary>
    internal static int ScatterFold(ReadOnlySpan<float> foldProbabilities, FeatureMatrix test, IReadOnlyList<int> testRows, float[] probabilities)
    {
        int c = test.ClassCount;
        int correct = 0;
        for (int i = 0; i < testRows.Count; i++)
        {
            var row = foldProbabilities.Slice(i * c, c);
            row.CopyTo(probabilities.AsSpan(testRows[i] * c, c));
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == test.Labels[i])
            {
                correct++;
            }
        }

        return correct;
    }
}
