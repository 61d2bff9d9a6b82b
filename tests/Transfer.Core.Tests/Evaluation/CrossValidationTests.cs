using Transfer.Core.Tests.Heads.MlNet;
using Transfer.Evaluation;
using Transfer.Featurization;
using Transfer.Heads;

namespace Transfer.Core.Tests.Evaluation;

public sealed class CrossValidationTests
{
    private static readonly string[] Classes = ["a", "b", "c"];

    [Fact]
    public void StratifiedFolds_SameSeed_SameAssignmentAndAnotherSeedDiffers()
    {
        int[] labels = [.. Enumerable.Range(0, 90).Select(i => i % 3)];
        Assert.Equal(CrossValidation.StratifiedFolds(labels, 5, 7), CrossValidation.StratifiedFolds(labels, 5, 7));
        Assert.NotEqual(CrossValidation.StratifiedFolds(labels, 5, 7), CrossValidation.StratifiedFolds(labels, 5, 8));
    }

    [Fact]
    public void StratifiedFolds_UnevenClasses_EveryFoldGetsItsShareOfEveryClass()
    {
        // 23, 11 and 7 images: each class spreads over the folds within one image, and fold sizes differ by at most one.
        int[] labels = [.. Enumerable.Repeat(0, 23), .. Enumerable.Repeat(1, 11), .. Enumerable.Repeat(2, 7)];
        var folds = CrossValidation.StratifiedFolds(labels, 5, 42);
        for (int c = 0; c < 3; c++)
        {
            var perFold = Enumerable.Range(0, 5).Select(f => Enumerable.Range(0, labels.Length).Count(i => labels[i] == c && folds[i] == f)).ToList();
            Assert.True(perFold.Max() - perFold.Min() <= 1, $"class {c}: {string.Join(", ", perFold)}");
        }

        var sizes = Enumerable.Range(0, 5).Select(f => folds.Count(x => x == f)).ToList();
        Assert.True(sizes.Max() - sizes.Min() <= 1, string.Join(", ", sizes));
        Assert.All(folds, f => Assert.InRange(f, 0, 4));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void StratifiedFolds_FoldsOutOfRange_ThrowsNamingTheValue(int folds)
    {
        var e = Assert.Throws<ArgumentException>(() => CrossValidation.StratifiedFolds([0, 1, 0, 1], folds, 1));
        Assert.Equal($"Parameter \"folds\" must be between 2 and the number of rows (4), was {folds}. (Parameter 'folds')", e.Message);
    }

    [Fact]
    public void UsableFolds_SmallestClassHasThree_ThreeFolds()
    {
        int[] labels = [0, 0, 0, 0, 0, 0, 1, 1, 1];
        Assert.Equal(3, CrossValidation.UsableFolds(labels, 5));
        Assert.Equal(2, CrossValidation.UsableFolds(labels, 2));
        Assert.Equal(1, CrossValidation.UsableFolds([0, 0, 1], 5));
    }

    [Fact]
    public void Run_Blobs_EveryRowScoredOnceByAHeadThatDidNotSeeIt()
    {
        var data = MlNetHeadTrainerTests.Blobs(20, 6, 3);
        var folds = CrossValidation.StratifiedFolds(data.Labels, 4, 1);
        var seen = new List<HashSet<int>>();
        var trainer = new MaximumEntropyHeadTrainer();
        var result = CrossValidation.Run(
            rows =>
            {
                seen.Add([.. rows]);
                return trainer.Train(data.Select(rows), null, Classes);
            },
            data,
            Classes,
            folds,
            CancellationToken.None);

        Assert.Equal(4, seen.Count);
        Assert.Equal(data.Count, result.Evaluation.Count);
        for (int i = 0; i < data.Count; i++)
        {
            // Row i was held out of exactly the fold it belongs to, and trained on in the others.
            Assert.Equal(3, seen.Count(s => s.Contains(i)));
            Assert.DoesNotContain(i, seen[folds[i]]);
        }

        Assert.Equal(4, result.FoldAccuracies.Count);
        Assert.True(result.Evaluation.MicroAccuracy > 0.9, result.Evaluation.MicroAccuracy.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.InRange(result.FoldStandardDeviation, 0, 0.2);
    }
}
