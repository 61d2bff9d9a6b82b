using Transfer.Validation;

namespace Transfer.Reporting;

/// <summary>Options for <see cref="EvaluationReport"/>.</summary>
public sealed class EvaluationReportOptions
{
    /// <summary>The largest <see cref="TopLossCount"/> allowed (each thumbnail is inlined in the HTML).</summary>
    public const int MaxTopLosses = 500;

    /// <summary>Gets the report's title.</summary>
    /// <value>The default value is <c>"Evaluation report"</c>.</value>
    public string Title { get; init; } = "Evaluation report";

    /// <summary>Gets how many of the highest-loss test images the report shows as thumbnails; 0 for none.</summary>
    /// <value>The default value is 16.</value>
    public int TopLossCount { get; init; } = 16;

    /// <summary>Gets how many of the most confused (true, predicted) class pairs the report lists; 0 for none.</summary>
    /// <value>The default value is 10.</value>
    public int ConfusedPairCount { get; init; } = 10;

    /// <summary>Gets the longest side of a thumbnail, in pixels (smaller images are enlarged without smoothing, so their pixels stay visible).</summary>
    /// <value>The default value is 96.</value>
    public int ThumbnailSize { get; init; } = 96;

    /// <summary>Gets how many suspect labels and near-duplicate pairs of the label audit (<see cref="DatasetSummary.LabelAudit"/>) the report lists, with thumbnails; 0 for none.</summary>
    /// <value>The default value is 16.</value>
    public int AuditCount { get; init; } = 16;

    /// <summary>Gets how many of its nearest training images each top-loss image shows (<see cref="DatasetSummary.NearestTraining"/>); 0 for none.</summary>
    /// <value>The default value is 3.</value>
    public int NearestTrainingCount { get; init; } = 3;

    /// <summary>Gets how many rows of each table <see cref="EvaluationReport.ToMarkdown"/> prints for top losses and confused pairs.</summary>
    /// <value>The default value is 5.</value>
    public int MarkdownRows { get; init; } = 5;

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (string.IsNullOrWhiteSpace(Title))
        {
            problems.Add("Title must not be empty; leave it out for \"Evaluation report\".");
        }

        if (TopLossCount is < 0 or > MaxTopLosses)
        {
            problems.Add($"TopLossCount must be in [0, {MaxTopLosses}], was {TopLossCount}.");
        }

        if (ConfusedPairCount < 0)
        {
            problems.Add($"ConfusedPairCount must be 0 or more, was {ConfusedPairCount}.");
        }

        if (AuditCount is < 0 or > MaxTopLosses)
        {
            problems.Add($"AuditCount must be in [0, {MaxTopLosses}], was {AuditCount}.");
        }

        if (NearestTrainingCount is < 0 or > 10)
        {
            problems.Add($"NearestTrainingCount must be in [0, 10], was {NearestTrainingCount}.");
        }

        if (ThumbnailSize is < 16 or > 512)
        {
            problems.Add($"ThumbnailSize must be in [16, 512] pixels, was {ThumbnailSize}.");
        }

        if (MarkdownRows < 0)
        {
            problems.Add($"MarkdownRows must be 0 or more, was {MarkdownRows}.");
        }

        problems.ThrowIfAny(nameof(EvaluationReportOptions));
    }
}
