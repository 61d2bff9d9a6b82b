using System.Diagnostics;
using System.Globalization;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads.MaximumEntropy;
using Transfer.Heads.Neural;

namespace Transfer.Heads;

/// <summary>
/// The default head: chosen by measurement on the training images. Candidates — the maximum-entropy head over a grid
/// of L2 weights (<see cref="AutoHeadOptions.L2Grid"/>, L1 = 0), then an MLP — are scored by stratified k-fold
/// cross-validated log-loss on the cached features; the first candidate (simplest first) within
/// <see cref="AutoHeadOptions.TieTolerance"/> of the best wins and is trained on every row. Deterministic for a seed
/// (unless a <see cref="AutoHeadOptions.TimeBudget"/> cuts the list short).
/// </summary>
public sealed class AutoHeadTrainer : HeadTrainer
{
    /// <summary>Creates the trainer.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public AutoHeadTrainer(AutoHeadOptions? options = null)
    {
        Options = options ?? new AutoHeadOptions();
        Options.Validate();
    }

    /// <summary>Gets the options.</summary>
    public AutoHeadOptions Options { get; }

    /// <inheritdoc />
    public override string Name => "auto";

    /// <inheritdoc />
    public override string Describe() => Options.Describe();

    /// <summary>
    /// The convergence tolerance of the maximum-entropy candidates (ML.NET's default is 1e-7): held-out log-loss stops
    /// moving long before the training objective does, and weakly regularised fits would otherwise run for thousands of
    /// iterations. The chosen head is refit with <see cref="MaximumEntropyHeadOptions.DefaultOptimizationTolerance"/>.
    /// </summary>
    public const float CandidateTolerance = 1e-4f;

    /// <summary>
    /// The MLP candidate is cross-validated only up to this many training rows: beyond it, five folds of 30 epochs cost
    /// more than featurizing the images did. Pin an MLP head (CLI <c>--head mlp</c>) to use one on a larger set.
    /// </summary>
    public const int MlpRowLimit = 2_000;

    /// <summary>Gets the candidate trainers for a training set of <paramref name="rows"/> rows, in preference order (simplest first), with their short names.</summary>
    /// <param name="rows">The number of training rows (the MLP is a candidate up to <see cref="MlpRowLimit"/>).</param>
    /// <returns>The candidates.</returns>
    public IReadOnlyList<(string Name, HeadTrainer Trainer)> Candidates(int rows)
    {
        var list = new List<(string, HeadTrainer)>();
        foreach (float l2 in Options.L2Grid)
        {
            list.Add((string.Create(CultureInfo.InvariantCulture, $"lbfgs l2={l2:R}"), new MaximumEntropyHeadTrainer(new MaximumEntropyHeadOptions { L2Regularization = l2, L1Regularization = 0, OptimizationTolerance = CandidateTolerance })));
        }

        if (Options.IncludeMlp && rows <= MlpRowLimit)
        {
            list.Add(("mlp", new NeuralHeadTrainer(new MlpHead(new NeuralHeadOptions { Seed = Options.Seed }))));
        }

        return list;
    }

    /// <inheritdoc />
    public override TrainedHead Train(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, CancellationToken cancellationToken = default)
    {
        var selection = Select(train, classes, cancellationToken);
        return Refit(selection.Chosen).Train(train, validation, classes, cancellationToken);
    }

    /// <summary>The trainer that fits the chosen candidate on every row: a maximum-entropy candidate at ML.NET's default tolerance.</summary>
    /// <param name="chosen">The chosen candidate (<see cref="HeadSelection.Chosen"/>).</param>
    /// <returns>The trainer for the final head.</returns>
    public static HeadTrainer Refit(HeadTrainer chosen) => chosen is MaximumEntropyHeadTrainer m
        ? new MaximumEntropyHeadTrainer(new MaximumEntropyHeadOptions { L2Regularization = m.Options.L2Regularization, L1Regularization = m.Options.L1Regularization })
        : chosen;

    /// <summary>
    /// Cross-validates every candidate on <paramref name="train"/> and chooses one (it is not trained on all rows here:
    /// train <see cref="Refit"/> of the chosen one).
    /// </summary>
    /// <param name="train">The training features.</param>
    /// <param name="classes">The class names.</param>
    /// <param name="cancellationToken">Checked between folds.</param>
    /// <returns>The selection.</returns>
    /// <exception cref="ArgumentException">No training rows, fewer than two classes, or a class with a single image (cross-validation needs two per class).</exception>
    public HeadSelection Select(FeatureMatrix train, IReadOnlyList<string> classes, CancellationToken cancellationToken = default)
    {
        CheckTrainingData(train, classes);
        var labels = train.Labels.AsSpan(0, train.Count).ToArray();
        int folds = CrossValidation.UsableFolds(labels, Options.Folds);
        if (folds < 2)
        {
            throw new ArgumentException("The automatic head choice cross-validates, which needs at least two images of every class; a class has only one. Add images to it, or pin a head (e.g. new MaximumEntropyHeadTrainer(), CLI --head lbfgs).", nameof(train));
        }

        var assignment = CrossValidation.StratifiedFolds(labels, folds, Options.Seed);
        return SelectWith(train, classes, assignment, folds, train.Select, cancellationToken);
    }

    /// <summary>
    /// Chooses among the candidates. <paramref name="trainingPart"/> gives the matrix a head is trained on for a set of
    /// rows (the rows themselves, plus their augmented views in the pipeline). The maximum-entropy grid is fitted per fold
    /// as a regularisation path, strongest L2 first, each fit warm-started from the previous one.
    /// </summary>
    public HeadSelection SelectWith(FeatureMatrix features, IReadOnlyList<string> classes, int[] assignment, int folds, Func<IReadOnlyList<int>, FeatureMatrix> trainingPart, CancellationToken cancellationToken)
    {
        var candidates = Candidates(features.Count);
        int grid = Options.L2Grid.Count;
        int c = classes.Count;
        var results = new (CrossValidationResult? Cv, double Seconds, string? Skipped)[candidates.Count];
        var clock = Stopwatch.StartNew();

        // The grid: one path per fold, out-of-fold probabilities per L2 weight.
        var probabilities = new float[grid][];
        var correct = new int[grid, folds];
        var foldLoss = new double[grid, folds];
        var foldSizes = new int[folds];
        for (int g = 0; g < grid; g++)
        {
            probabilities[g] = new float[features.Count * c];
        }

        int[] pathOrder = [.. Enumerable.Range(0, grid).OrderByDescending(g => Options.L2Grid[g])];

        var splits = new (List<int> Train, List<int> Test)[folds];
        var starts = new float[]?[folds];
        var solutions = new float[]?[grid][];
        for (int fold = 0; fold < folds; fold++)
        {
            splits[fold] = CrossValidation.Split(assignment, fold);
            foldSizes[fold] = splits[fold].Test.Count;
        }

        var labels = features.Labels.AsSpan(0, features.Count).ToArray();
        double previous = double.PositiveInfinity;
        int previousIndex = -1;
        string? stopped = null;
        foreach (int g in pathOrder)
        {
            if (stopped is not null)
            {
                results[g] = (null, 0, stopped);
                continue;
            }

            var started = clock.Elapsed;
            var trainer = (MaximumEntropyHeadTrainer)candidates[g].Trainer;
            for (int fold = 0; fold < folds && stopped is null; fold++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (trainRows, testRows) = splits[fold];
                var test = features.Select(testRows);
                var p = new float[testRows.Count * c];
                (var parameters, starts[fold], _) = MaximumEntropyHeadTrainer.FitFrom(trainingPart(trainRows), trainer.Options, starts[fold], cancellationToken);
                LinearSoftmax.FromParameters(parameters, c, features.Dimension).Predict(test.Values.AsSpan(0, test.Count * test.Dimension), test.Count, p);
                correct[g, fold] = CrossValidation.ScatterFold(p, test, testRows, probabilities[g]);
                foldLoss[g, fold] = SummedLogLoss(p, test);
                stopped = RoseEarly(foldLoss, g, previousIndex, fold, trainer.Options.L2Regularization);
            }

            if (stopped is not null)
            {
                results[g] = (null, (clock.Elapsed - started).TotalSeconds, stopped);
                continue;
            }

            solutions[g] = (float[]?[])starts.Clone();

            var foldAccuracy = new double[folds];
            for (int fold = 0; fold < folds; fold++)
            {
                foldAccuracy[fold] = foldSizes[fold] == 0 ? 0 : (double)correct[g, fold] / foldSizes[fold];
            }

            var cv = new CrossValidationResult(Evaluator.Evaluate(classes, probabilities[g], labels), foldAccuracy);
            results[g] = (cv, (clock.Elapsed - started).TotalSeconds, null);

            // Held-out log-loss is U-shaped in the L2 weight: once it rises, weaker weights only cost time.
            if (cv.Evaluation.LogLoss > previous)
            {
                stopped = string.Create(CultureInfo.InvariantCulture, $"the log-loss already rose at l2={trainer.Options.L2Regularization:R}");
            }

            previous = cv.Evaluation.LogLoss;
            previousIndex = g;
        }

        // The other candidates, while the time budget lasts.
        for (int i = grid; i < candidates.Count; i++)
        {
            if (Options.TimeBudget is { } budget && clock.Elapsed > budget)
            {
                results[i] = (null, 0, string.Create(CultureInfo.InvariantCulture, $"the time budget of {budget.TotalSeconds:0.#} s was spent"));
                continue;
            }

            var started = clock.Elapsed;
            var trainer = candidates[i].Trainer;
            try
            {
                var cv = CrossValidation.Run(rows => trainer.Train(trainingPart(rows), null, classes, cancellationToken), features, classes, assignment, cancellationToken);
                results[i] = (cv, (clock.Elapsed - started).TotalSeconds, null);
            }
            catch (ArgumentException e)
            {
                // E.g. an MLP's validation split on folds of a handful of images: the candidate is left out, with the reason.
                results[i] = (null, (clock.Elapsed - started).TotalSeconds, $"it cannot be trained on these folds: {e.Message.ReplaceLineEndings(" ")}");
            }
        }

        double best = results.Where(r => r.Cv is not null).Min(r => r.Cv!.Evaluation.LogLoss);
        int chosen = Array.FindIndex(results, r => r.Cv is not null && r.Cv.Evaluation.LogLoss <= best * (1 + Options.TieTolerance));
        var table = new List<HeadCandidateResult>(candidates.Count);
        for (int i = 0; i < candidates.Count; i++)
        {
            var (cv, secs, skipped) = results[i];
            table.Add(new HeadCandidateResult(candidates[i].Name, candidates[i].Trainer.Describe(), cv?.Evaluation.LogLoss, cv?.Evaluation.MicroAccuracy, cv?.Evaluation.MacroAccuracy, secs, i == chosen, skipped));
        }

        return new HeadSelection(table, candidates[chosen].Trainer, results[chosen].Cv!, folds, chosen < grid ? solutions[chosen] : null);
    }

    /// <summary>
    /// The relative rise of the held-out log-loss, on the folds fitted so far (two at least), beyond which a weaker L2
    /// weight stops before its remaining folds: it sits on the far side of the U and cannot win.
    /// </summary>
    public const double EarlyRise = 0.05;

    /// <summary>Why the path stops at weight <paramref name="g"/> after fold <paramref name="fold"/>, or <see langword="null"/> to go on.</summary>
    private static string? RoseEarly(double[,] foldLoss, int g, int previous, int fold, float l2)
    {
        if (previous < 0 || fold < 1)
        {
            return null;
        }

        double now = 0, before = 0;
        for (int f = 0; f <= fold; f++)
        {
            now += foldLoss[g, f];
            before += foldLoss[previous, f];
        }

        return now > before * (1 + EarlyRise)
            ? string.Create(CultureInfo.InvariantCulture, $"the log-loss already rose at l2={l2:R} ({(now / before) - 1:P0} on the first {fold + 1} folds)")
            : null;
    }

    /// <summary>The summed log-loss of a fold's held-out rows (probabilities clamped as the evaluator does).</summary>
    private static double SummedLogLoss(ReadOnlySpan<float> probabilities, FeatureMatrix test)
    {
        int c = test.ClassCount;
        double sum = 0;
        for (int i = 0; i < test.Count; i++)
        {
            sum -= Math.Log(Math.Max(probabilities[(i * c) + test.Labels[i]], 1e-15));
        }

        return sum;
    }
}
