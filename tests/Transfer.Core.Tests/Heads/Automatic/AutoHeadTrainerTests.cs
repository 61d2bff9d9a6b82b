using Transfer.Core.Tests.Heads.MaximumEntropy;
using Transfer.Core.Tests.Heads.MlNet;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Validation;

namespace Transfer.Core.Tests.Heads.Automatic;

public sealed class AutoHeadTrainerTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    [Fact]
    public void Select_WeakSignalInManyFeatures_ChoosesByCrossValidatedLogLossAndIsDeterministic()
    {
        var data = MaximumEntropyHeadTrainerTests.Noisy(240, 30, seed: 5, separation: 0.4);
        var auto = new AutoHeadTrainer(new AutoHeadOptions { IncludeMlp = false, Seed = 3 });
        var first = auto.Select(data, Classes);
        var second = auto.Select(data, Classes);

        // The chosen candidate is within the tie tolerance of the best, and no earlier (simpler) candidate is.
        var tried = first.Candidates.Where(c => c.LogLoss is not null).ToList();
        double best = tried.Min(c => c.LogLoss!.Value);
        var chosen = Assert.Single(first.Candidates, c => c.Chosen);
        Assert.True(chosen.LogLoss <= best * (1 + AutoHeadOptions.DefaultTieTolerance));
        foreach (var earlier in first.Candidates.TakeWhile(c => !c.Chosen).Where(c => c.LogLoss is not null))
        {
            Assert.True(earlier.LogLoss > best * (1 + AutoHeadOptions.DefaultTieTolerance), $"{earlier.Name} ({earlier.LogLoss}) should have won the tie");
        }

        Assert.Equal(first.Candidates.Select(c => (c.Name, c.LogLoss, c.Chosen)), second.Candidates.Select(c => (c.Name, c.LogLoss, c.Chosen)));
        Assert.Equal(first.ChosenCrossValidation.Evaluation.LogLoss, chosen.LogLoss);
        Assert.Equal(data.Count, first.ChosenCrossValidation.Evaluation.Count);
    }

    [Fact]
    public void Select_StrongestWeightUnderfits_ChoosesAWeakerOne()
    {
        // Well separated blobs: L2 = 100 on the summed loss flattens the scores, and its log-loss is far from the best.
        var data = MlNetHeadTrainerTests.Blobs(40, 8, 2);
        var selection = new AutoHeadTrainer(new AutoHeadOptions { IncludeMlp = false }).Select(data, Classes);
        Assert.NotEqual("lbfgs l2=100", Assert.Single(selection.Candidates, c => c.Chosen).Name);
        Assert.True(selection.Candidates[0].LogLoss > selection.ChosenCrossValidation.Evaluation.LogLoss);
    }

    [Fact]
    public void Select_LogLossRisesAlongThePath_SkipsTheWeakerWeightsSayingWhy()
    {
        var data = MaximumEntropyHeadTrainerTests.Noisy(150, 60, seed: 9, separation: 0.4);
        var selection = new AutoHeadTrainer(new AutoHeadOptions { IncludeMlp = false, L2Grid = [1000f, 100f, 10f, 1f, 0.1f, 0.01f, 0.001f, 0.0001f] }).Select(data, Classes);
        var skipped = selection.Candidates.Where(c => c.SkippedReason is not null).ToList();
        Assert.NotEmpty(skipped);
        Assert.All(skipped, c => Assert.StartsWith("the log-loss already rose at l2=", c.SkippedReason));
        Assert.Contains("skipped: the log-loss already rose", selection.ToTable());
    }

    [Fact]
    public void Select_WeakerWeightClearlyWorseOnTheFirstFolds_StopsBeforeItsOtherFoldsAndCouldNotHaveWon()
    {
        var data = MaximumEntropyHeadTrainerTests.Noisy(150, 60, seed: 9, separation: 0.4);
        var options = new AutoHeadOptions { IncludeMlp = false, L2Grid = [100f, 10f, 1f, 0.1f, 0.01f, 0.001f, 0.0001f] };
        var selection = new AutoHeadTrainer(options).Select(data, Classes);
        var early = selection.Candidates.First(c => c.SkippedReason?.Contains("on the first", StringComparison.Ordinal) == true);
        Assert.All(selection.Candidates.SkipWhile(c => c != early), c => Assert.Equal(early.SkippedReason, c.SkippedReason));
        Assert.Matches(@"^the log-loss already rose at l2=[0-9.E-]+ \(\d+ ?% on the first [2-4] folds\)$", early.SkippedReason);
        Assert.True(early.Seconds > 0);

        // Cross-validated on every fold, the stopped weight is indeed worse than the chosen one.
        float l2 = options.L2Grid[selection.Candidates.ToList().IndexOf(early)];
        var full = CrossValidation.Run(
            new MaximumEntropyHeadTrainer(new MaximumEntropyHeadOptions { L2Regularization = l2, L1Regularization = 0, OptimizationTolerance = AutoHeadTrainer.CandidateTolerance }),
            data,
            Classes,
            CrossValidation.StratifiedFolds(data.Labels.AsSpan(0, data.Count).ToArray(), selection.Folds, options.Seed));
        Assert.True(full.Evaluation.LogLoss > selection.ChosenCrossValidation.Evaluation.LogLoss * (1 + options.TieTolerance));
    }

    [Fact]
    public void Select_MaximumEntropyChosen_KeepsEachFoldsSolutionAndAWarmStartEndsAtTheSameOptimum()
    {
        var data = MlNetHeadTrainerTests.Blobs(40, 8, 2);
        var selection = new AutoHeadTrainer(new AutoHeadOptions { IncludeMlp = false }).Select(data, Classes);
        var solutions = Assert.IsAssignableFrom<IReadOnlyList<float[]?>>(selection.FoldSolutions);
        Assert.Equal(selection.Folds, solutions.Count);
        Assert.All(solutions, s => Assert.Equal((8 + 1) * Classes.Length, s!.Length));

        // The refit from a fold's solution reaches the objective the refit from zero reaches.
        var refit = (MaximumEntropyHeadTrainer)AutoHeadTrainer.Refit(selection.Chosen);
        var cold = refit.Train(data, null, Classes);
        var (warm, _) = refit.TrainFrom(data, Classes, solutions[0], CancellationToken.None);
        double coldObjective = MaximumEntropyHeadTrainer.Objective(data, refit.Options, cold);
        double warmObjective = MaximumEntropyHeadTrainer.Objective(data, refit.Options, warm);
        Assert.InRange(warmObjective, coldObjective * 0.999, coldObjective * 1.001);
    }

    [Fact]
    public void Train_SmallSet_RefitsTheChosenHeadOnEveryRow()
    {
        var data = MlNetHeadTrainerTests.Blobs(30, 6, 4);
        var head = new AutoHeadTrainer(new AutoHeadOptions { IncludeMlp = false }).Train(data, null, Classes);
        Assert.Equal("lbfgs", head.TrainerName);
        Assert.True(Evaluator.Evaluate(head, MlNetHeadTrainerTests.Blobs(20, 6, 5)).MicroAccuracy > 0.9);
    }

    [Fact]
    public void Candidates_MlpOnlyUpToTheRowLimit()
    {
        var auto = new AutoHeadTrainer();
        Assert.Equal("mlp", auto.Candidates(AutoHeadTrainer.MlpRowLimit)[^1].Name);
        Assert.DoesNotContain(auto.Candidates(AutoHeadTrainer.MlpRowLimit + 1), c => c.Name == "mlp");
        Assert.Equal(AutoHeadOptions.DefaultL2Grid.Count, auto.Candidates(AutoHeadTrainer.MlpRowLimit + 1).Count);
    }

    [Fact]
    public void Select_ClassWithOneImage_ThrowsSayingHowToFix()
    {
        var data = new FeatureMatrix([0, 1, 1, 0, 2, 2, 3, 3], 4, 2, [0, 0, 0, 1], 2);
        var e = Assert.Throws<ArgumentException>(() => new AutoHeadTrainer().Select(data, ["x", "y"]));
        Assert.StartsWith("The automatic head choice cross-validates, which needs at least two images of every class; a class has only one.", e.Message);
    }

    [Fact]
    public void Validate_EveryBadOption_ListedInOneException()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new AutoHeadTrainer(new AutoHeadOptions { Folds = 1, L2Grid = [1f, -2f], TieTolerance = double.NaN, TimeBudget = TimeSpan.Zero }));
        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "Invalid AutoHeadOptions / Validation Errors:",
                "- Folds must be at least 2, was 1.",
                "- L2Grid values must be finite numbers 0 or more, were [1, -2].",
                "- TieTolerance must be a finite number 0 or more, was NaN.",
                "- TimeBudget must be positive or null (no limit), was 00:00:00."),
            e.Message);
    }

    [Fact]
    public void Validate_EmptyGrid_SaysSo()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new AutoHeadOptions { L2Grid = [] }.Validate());
        Assert.Contains("L2Grid must hold at least one L2 weight, was empty.", e.Message);
    }
}
