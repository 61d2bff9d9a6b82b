using Transfer.Augmentation;
using Transfer.Backbones;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Models;

namespace Transfer.Pipelines;

/// <summary>
/// The training stage of a run on cached features: the head choice (<see cref="AutoHeadTrainer"/>), whether augmented
/// views help (<see cref="AugmentationPolicy.Auto"/>), the accuracy estimate, and the final head trained on every image.
/// </summary>
internal static class HeadTraining
{
    public static Outcome Run(HeadTrainer trainer, FeatureMatrix train, IReadOnlyList<FeatureMatrix> views, FeatureMatrix? trainFlip, FeatureMatrix? test, FeatureMatrix? testFlip, string? method, int folds, int seed, bool autoViews, IReadOnlyList<string> classes, CancellationToken ct)
    {
        var labels = train.Labels.AsSpan(0, train.Count).ToArray();
        bool crossValidate = trainer is AutoHeadTrainer || method == AccuracyEstimate.CrossValidated || trainFlip is not null;
        int usable = crossValidate ? CrossValidation.UsableFolds(labels, folds) : 0;
        if (crossValidate && usable < 2)
        {
            throw new ArgumentException($"Cross-validation needs at least two images of every class, and a class has only one ({ClassesWithOneImage(labels, classes)}). Add images to it, give a test set (--test), or pin a head (--head lbfgs) with --test-fraction 0.");
        }

        int[] assignment = crossValidate ? CrossValidation.StratifiedFolds(labels, usable, seed) : [];
        CrossValidationResult CrossValidate(HeadTrainer t, IReadOnlyList<FeatureMatrix> v, CancellationToken token) =>
            CrossValidation.Run(rows => t.Train(Stack(train, v, rows), null, classes, token), train, classes, assignment, token);

        HeadSelection? selection = null;
        IReadOnlyList<float[]?>? solutions = null; // per fold, the centered parameters the final fit starts from
        IReadOnlyList<FeatureMatrix> used = views;
        var tta = TestTimeAugmentation.None;
        CrossValidationResult? finalCv = null;
        if (trainer is AutoHeadTrainer auto && autoViews && trainFlip is not null)
        {
            // Automatic views: the head is chosen on the images as they are; then one cross-validation of that head trained
            // with the mirrored views scores each held-out image plain and averaged with its mirror. Views and the test-time
            // flip are adopted only when they lower the cross-validated log-loss: flipping is never forced.
            selection = auto.SelectWith(train, classes, assignment, usable, rows => Stack(train, [], rows), ct);
            solutions = selection.FoldSolutions;
            var (augmented, flipped, pairSolutions) = CrossValidatePair(selection.Chosen, train, Average(train, trainFlip), views, assignment, classes, selection.FoldSolutions, ct);
            double plainLoss = selection.ChosenCrossValidation.Evaluation.LogLoss;
            double viewsLoss = Math.Min(augmented.Evaluation.LogLoss, flipped.Evaluation.LogLoss);
            if (viewsLoss < plainLoss)
            {
                (tta, finalCv) = ChooseTestTime(augmented, flipped);
                solutions = pairSolutions;
            }
            else
            {
                used = [];
            }
        }
        else
        {
            if (trainer is AutoHeadTrainer chooser)
            {
                selection = chooser.SelectWith(train, classes, assignment, usable, rows => Stack(train, views, rows), ct);
                solutions = selection.FoldSolutions;
            }

            // Test-time flip with pinned views: measured on the same folds with the chosen trainer; adopted only on a clearly lower log-loss.
            if (trainFlip is not null)
            {
                var (plain, flipped, _) = CrossValidatePair(selection?.Chosen ?? trainer, train, Average(train, trainFlip), used, assignment, classes, selection?.FoldSolutions, ct);
                (tta, finalCv) = ChooseTestTime(plain, flipped);
            }
        }

        var final = selection is null ? trainer : AutoHeadTrainer.Refit(selection.Chosen);
        TrainedHead TrainFinal(FeatureMatrix rows) => final is MaximumEntropyHeadTrainer m && MeanStart(solutions) is { } start
            ? m.TrainFrom(rows, classes, start, ct).Head
            : final.Train(rows, null, classes, ct);
        var all = Enumerable.Range(0, train.Count).ToList();
        if (tta != TestTimeAugmentation.None && test is not null && testFlip is not null)
        {
            test = Average(test, testFlip);
        }

        AccuracyEstimate? estimate = null;
        EvaluationResult? evaluation = null;
        TrainedHead head;
        if (method == AccuracyEstimate.CrossValidated)
        {
            var cv = finalCv ?? selection?.ChosenCrossValidation ?? CrossValidate(trainer, used, ct);
            evaluation = cv.Evaluation;
            estimate = new AccuracyEstimate(method, train.Count, evaluation.MicroAccuracy, evaluation.MacroAccuracy, usable, cv.FoldStandardDeviation);
            head = TrainFinal(Stack(train, used, all));
        }
        else if (test is not null && test.Count > 0)
        {
            var estimator = TrainFinal(Stack(train, used, all));
            evaluation = Evaluator.Evaluate(estimator, test, cancellationToken: ct);
            estimate = new AccuracyEstimate(method!, test.Count, evaluation.MicroAccuracy, evaluation.MacroAccuracy);
            head = method == AccuracyEstimate.Holdout
                ? TrainFinal(Concat(Stack(train, used, all), test)) // the held-out images count for the saved model
                : estimator;
        }
        else
        {
            head = TrainFinal(Stack(train, used, all));
        }

        int trainedOn = train.Count + (method == AccuracyEstimate.Holdout && test is not null ? test.Count : 0);
        return new Outcome(head, evaluation, estimate, selection, trainedOn, used.Count, tta);
    }

    /// <summary>
    /// The model with what its manifest records from the run: the training mean (for classes added later), the held-out
    /// own-class probability and the "unknown" threshold, chosen on out-of-fold predictions when there are any (the
    /// estimate's, or the automatic head's choice), else on the held-out test images. Disposes <paramref name="model"/>.
    /// </summary>
    public static TransferModel WithStatistics(TransferModel model, FeatureMatrix train, Outcome? frozen, EvaluationResult? tuned, string? method, double rate)
    {
        var (heldOut, source) = frozen is null ? (tuned, method)
            : method == AccuracyEstimate.CrossValidated ? (frozen.Evaluation, method)
            : frozen.Selection is { } selection ? (selection.ChosenCrossValidation.Evaluation, AccuracyEstimate.CrossValidated)
            : (frozen.Evaluation, method);
        var manifest = model.Manifest with
        {
            FeatureMean = TransferModelClasses.FeatureMean(train),
            ClassMeans = TransferModelClasses.ClassMeans(train),
            HeldOutOwnClassProbability = heldOut is null ? null : UnknownRejection.MeanOwnClassProbability(heldOut),
            Unknown = heldOut is null || heldOut.Count == 0 ? null : UnknownRejection.Choose(heldOut, rate, source ?? AccuracyEstimate.Test),
        };
        using (model)
        {
            return model.With(manifest, model.Head);
        }
    }

    /// <summary>The relative log-loss gain the test-time flip must bring to be adopted (it doubles the cost of scoring).</summary>
    private const double TestTimeTolerance = 0.005;

    /// <summary>The test-time flip when its flip-averaged scores beat the plain ones by more than <see cref="TestTimeTolerance"/>, with the cross-validation that goes with the choice.</summary>
    private static (TestTimeAugmentation Tta, CrossValidationResult Cv) ChooseTestTime(CrossValidationResult plain, CrossValidationResult flipped) =>
        flipped.Evaluation.LogLoss < plain.Evaluation.LogLoss * (1 - TestTimeTolerance) ? (TestTimeAugmentation.HorizontalFlip, flipped) : (TestTimeAugmentation.None, plain);

    /// <summary>
    /// One cross-validation of <paramref name="trainer"/>, each fold's head scoring the held-out rows both plain and
    /// flip-averaged. A maximum-entropy fold fit starts from that fold's selection solution (<paramref name="starts"/>):
    /// the same rows without their views, so the fit needs a fraction of the iterations.
    /// </summary>
    /// <returns>Both cross-validations, and each fold's centered parameters (maximum entropy only).</returns>
    private static (CrossValidationResult Plain, CrossValidationResult Flipped, float[]?[] Solutions) CrossValidatePair(HeadTrainer trainer, FeatureMatrix train, FeatureMatrix averaged, IReadOnlyList<FeatureMatrix> views, int[] assignment, IReadOnlyList<string> classes, IReadOnlyList<float[]?>? starts, CancellationToken ct)
    {
        var heads = new Dictionary<int, TrainedHead>();
        var solutions = new float[]?[assignment.Max() + 1];
        TrainedHead HeadFor(IReadOnlyList<int> rows)
        {
            // Both passes visit the folds in the same order; the fold is the one of the first row not trained on.
            var set = rows.ToHashSet();
            int fold = assignment[Enumerable.Range(0, assignment.Length).First(i => !set.Contains(i))];
            if (!heads.TryGetValue(fold, out var head))
            {
                var part = Stack(train, views, rows);
                if (trainer is MaximumEntropyHeadTrainer m)
                {
                    (head, solutions[fold]) = m.TrainFrom(part, classes, starts?[fold], ct);
                }
                else
                {
                    head = trainer.Train(part, null, classes, ct);
                }

                heads[fold] = head;
            }

            return head;
        }

        var plain = CrossValidation.Run(HeadFor, train, classes, assignment, ct);
        var flipped = CrossValidation.Run(HeadFor, averaged, classes, assignment, ct);
        return (plain, flipped, solutions);
    }

    /// <summary>The mean of the folds' centered parameters: where the fit on every row starts (<see langword="null"/> when a fold has none).</summary>
    private static float[]? MeanStart(IReadOnlyList<float[]?>? solutions)
    {
        if (solutions is null || solutions.Count == 0 || solutions.Any(s => s is null))
        {
            return null;
        }

        var mean = new float[solutions[0]!.Length];
        foreach (var s in solutions)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(mean, s!, mean);
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(mean, 1f / solutions.Count, mean);
        return mean;
    }

    /// <summary>The mean of each row and its flipped view's row: the features a model with the test-time flip computes.</summary>
    private static FeatureMatrix Average(FeatureMatrix plain, FeatureMatrix flipped)
    {
        var values = new float[plain.Count * plain.Dimension];
        var span = values.AsSpan();
        System.Numerics.Tensors.TensorPrimitives.Add(plain.Values.AsSpan(0, span.Length), flipped.Values.AsSpan(0, span.Length), span);
        System.Numerics.Tensors.TensorPrimitives.Multiply(span, 0.5f, span);
        return new FeatureMatrix(values, plain.Count, plain.Dimension, plain.Labels, plain.ClassCount);
    }

    /// <summary>The given rows of the plain features followed by the same rows of every view.</summary>
    private static FeatureMatrix Stack(FeatureMatrix plain, IReadOnlyList<FeatureMatrix> views, IReadOnlyList<int> rows)
    {
        var result = plain.Select(rows);
        foreach (var view in views)
        {
            result = Concat(result, view.Select(rows));
        }

        return result;
    }

    private static FeatureMatrix Concat(FeatureMatrix a, FeatureMatrix b)
    {
        var values = new float[(a.Count + b.Count) * a.Dimension];
        var labels = new int[a.Count + b.Count];
        a.Values.AsSpan(0, a.Count * a.Dimension).CopyTo(values);
        b.Values.AsSpan(0, b.Count * b.Dimension).CopyTo(values.AsSpan(a.Count * a.Dimension));
        a.Labels.AsSpan(0, a.Count).CopyTo(labels);
        b.Labels.AsSpan(0, b.Count).CopyTo(labels.AsSpan(a.Count));
        return new FeatureMatrix(values, a.Count + b.Count, a.Dimension, labels, a.ClassCount);
    }

    private static string ClassesWithOneImage(int[] labels, IReadOnlyList<string> classes) =>
        string.Join(", ", labels.GroupBy(l => l).Where(g => g.Count() == 1).Select(g => $"\"{classes[g.Key]}\""));

    /// <summary>What the training stage produced.</summary>
    public sealed record Outcome(TrainedHead Head, EvaluationResult? Evaluation, AccuracyEstimate? Estimate, HeadSelection? Selection, int TrainedOnImages, int ViewsUsed, TestTimeAugmentation TestTimeAugmentation);
}
