using Transfer.Heads;
using Transfer.Validation;

namespace Transfer.Scoring.Tests.Validation;

public sealed class ValidationProblemsTests
{
    private static readonly string NL = Environment.NewLine;

    [Fact]
    public void ThrowIfAny_NoProblem_DoesNotThrow()
    {
        var problems = new ValidationProblems();

        problems.ThrowIfAny("Options");

        Assert.Equal(0, problems.Count);
    }

    [Fact]
    public void ThrowIfAny_SeveralProblems_ListsThemInOrderUnderOneHeading()
    {
        var problems = new ValidationProblems();
        problems.Add("Folds must be at least 2, was 1.");
        problems.Add("Seed must be 0 or more, was -1.");

        var e = Assert.Throws<OptionsValidationException>(() => problems.ThrowIfAny("AutoHeadOptions"));

        Assert.Equal(["Folds must be at least 2, was 1.", "Seed must be 0 or more, was -1."], e.Problems);
        Assert.Equal($"Invalid AutoHeadOptions / Validation Errors:{NL}- Folds must be at least 2, was 1.{NL}- Seed must be 0 or more, was -1.", e.Message);
        Assert.Null(e.ParamName);
    }

    [Fact]
    public void ThrowIfAny_ParamName_IsKeptAndNamedAfterTheList()
    {
        var problems = new ValidationProblems();
        problems.Add("SegmentSize must be between 1 and 1048576, was 0.");

        var e = Assert.Throws<OptionsValidationException>(() => problems.ThrowIfAny("BottleneckCacheOptions", "options"));

        Assert.Equal("options", e.ParamName);
        Assert.Equal($"Invalid BottleneckCacheOptions / Validation Errors:{NL}- SegmentSize must be between 1 and 1048576, was 0. (Parameter 'options')", e.Message);
    }

    [Fact]
    public void Exception_IsAnArgumentException_SoExistingCatchesStillWork()
    {
        var problems = new ValidationProblems();
        problems.Add("Title must not be empty.");

        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => problems.ThrowIfAny("EvaluationReportOptions"));

        Assert.IsType<OptionsValidationException>(e);
    }

    [Fact]
    public void AddFrom_NestedOptions_AdoptsEachProblemWithThePrefixInOrder()
    {
        var problems = new ValidationProblems();
        problems.Add("TestFraction must be in [0, 1), was 1.5.");

        bool valid = problems.AddFrom("TrainHead: ", new MlNetHeadOptions { L1Regularization = -1, Threads = 0 }.Validate);
        problems.Add("FromCache and WithoutBottleneckCache exclude each other; remove one.");

        Assert.False(valid);
        Assert.Equal(
            [
                "TestFraction must be in [0, 1), was 1.5.",
                "TrainHead: L1Regularization must be 0 or more, was -1.",
                "TrainHead: Threads must be at least 1, was 0.",
                "FromCache and WithoutBottleneckCache exclude each other; remove one.",
            ],
            problems.Items);
        var e = Assert.Throws<OptionsValidationException>(() => problems.ThrowIfAny("pipeline"));
        Assert.Equal(problems.Items, e.Problems);
        Assert.Equal(
            string.Join(
                NL,
                "Invalid pipeline / Validation Errors:",
                "- TestFraction must be in [0, 1), was 1.5.",
                "- TrainHead: L1Regularization must be 0 or more, was -1.",
                "- TrainHead: Threads must be at least 1, was 0.",
                "- FromCache and WithoutBottleneckCache exclude each other; remove one."),
            e.Message);
    }

    [Fact]
    public void AddFrom_ValidNestedOptions_AddsNothing()
    {
        var problems = new ValidationProblems();

        Assert.True(problems.AddFrom("WriteReport: ", new MlNetHeadOptions().Validate));

        Assert.Equal(0, problems.Count);
    }

    [Fact]
    public void AddFrom_NestedProblemsOfProblems_KeepEveryPrefix()
    {
        var inner = new ValidationProblems();
        inner.Add("Brightness must be in [0, 1), was 2.");
        var outer = new ValidationProblems();

        outer.AddFrom("WithFeaturizer: ", () =>
        {
            var middle = new ValidationProblems();
            middle.AddFrom("View.", () => inner.ThrowIfAny("AugmentationView"));
            middle.ThrowIfAny("FeaturizerOptions");
        });

        Assert.Equal(["WithFeaturizer: View.Brightness must be in [0, 1), was 2."], outer.Items);
    }

    [Fact]
    public void AddFrom_PlainArgumentException_CountsAsOneProblem()
    {
        var problems = new ValidationProblems();

        problems.AddFrom("TrainHead: ", () => throw new ArgumentException("HiddenLayers must not be null."));

        Assert.Equal(["TrainHead: HiddenLayers must not be null."], problems.Items);
    }

    [Fact]
    public void AddFrom_OtherExceptions_AreNotCaught()
    {
        var problems = new ValidationProblems();

        Assert.Throws<InvalidOperationException>(() => problems.AddFrom(string.Empty, () => throw new InvalidOperationException("bug")));
        Assert.Equal(0, problems.Count);
    }

    [Fact]
    public void Add_BlankProblem_IsRefused()
    {
        var problems = new ValidationProblems();

        Assert.ThrowsAny<ArgumentException>(() => problems.Add(" "));
    }
}
