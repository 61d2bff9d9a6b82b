using Transfer.Auditing;
using Transfer.Images;

namespace Transfer.Reporting;

/// <summary>
/// What a report says about the data: images per class, images left out and why, and the findings of a
/// duplicate/leakage audit. <see langword="null"/> duplicate or leak lists mean "not checked", which the report
/// says, rather than "none found".
/// </summary>
public sealed record DatasetSummary
{
    /// <summary>Gets the number of training and test images of each class, in class order.</summary>
    public required IReadOnlyList<ClassCount> Classes { get; init; }

    /// <summary>Gets the images left out while scanning or decoding, with the reason for each.</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<SkippedImage> Skipped { get; init; } = [];

    /// <summary>Gets groups of images with identical content (<see cref="DatasetAuditResult.Duplicates"/>), or <see langword="null"/> when no audit looked for them.</summary>
    /// <value>The default value is <see langword="null"/> (not checked).</value>
    public IReadOnlyList<DuplicateGroup>? Duplicates { get; init; }

    /// <summary>Gets images whose content is in both the training and the test set (<see cref="DatasetAuditResult.Leaks"/>), or <see langword="null"/> when no audit looked for them.</summary>
    /// <value>The default value is <see langword="null"/> (not checked).</value>
    public IReadOnlyList<ImageLeak>? Leaks { get; init; }

    /// <summary>
    /// Gets the label audit of the training images (<see cref="Auditing.LabelAudit"/>: suspect labels and near-duplicates),
    /// or <see langword="null"/> when none was run.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (not checked).</value>
    public LabelAuditResult? LabelAudit { get; init; }

    /// <summary>Gets the search for each evaluated image's nearest training images (shown with the worst mistakes), or <see langword="null"/> to leave them out.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public NearestTrainingImages? NearestTraining { get; init; }

    /// <summary>Gets the total number of training images.</summary>
    public int TrainCount => Classes.Sum(c => c.Train);

    /// <summary>Gets the total number of test images.</summary>
    public int TestCount => Classes.Sum(c => c.Test);

    /// <summary>Counts the images of each class and takes the duplicates and train/test leaks a <see cref="DatasetAudit"/> found.</summary>
    /// <param name="train">The training images; its class list gives the order.</param>
    /// <param name="test">The test images, or <see langword="null"/>.</param>
    /// <param name="skipped">Images left out, with reasons; <see langword="null"/> for the sets' own <see cref="ImageSet.Skipped"/> lists.</param>
    /// <param name="audit">The audit of the same sets (<see cref="DatasetAudit.Run"/>).</param>
    /// <returns>The summary, with duplicates and leaks checked.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="train"/> or <paramref name="audit"/> is <see langword="null"/>.</exception>
    public static DatasetSummary FromImageSets(ImageSet train, ImageSet? test, IEnumerable<SkippedImage>? skipped, DatasetAuditResult audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return FromImageSets(train, test, skipped) with
        {
            Duplicates = audit.Duplicates,
            Leaks = audit.Leaks,
        };
    }

    /// <summary>Counts the images of each class of a training set and an optional test set.</summary>
    /// <param name="train">The training images; its class list gives the order.</param>
    /// <param name="test">The test images, or <see langword="null"/>. Classes only in the test set are listed after the training classes.</param>
    /// <param name="skipped">Images left out, with reasons; <see langword="null"/> for the sets' own <see cref="ImageSet.Skipped"/> lists.</param>
    /// <returns>The summary, with duplicates and leaks not checked (set them with <c>with { Duplicates = …, Leaks = … }</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="train"/> is <see langword="null"/>.</exception>
    public static DatasetSummary FromImageSets(ImageSet train, ImageSet? test = null, IEnumerable<SkippedImage>? skipped = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var trainCounts = train.CountByClass();
        var testCounts = test?.CountByClass() ?? new Dictionary<string, int>();
        var names = new List<string>(train.Classes);
        foreach (string name in test?.Classes ?? [])
        {
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        var classes = names.Select(n => new ClassCount(n, trainCounts.GetValueOrDefault(n), testCounts.GetValueOrDefault(n))).ToList();
        var left = skipped?.ToList() ?? [.. train.Skipped, .. test?.Skipped ?? []];
        return new DatasetSummary { Classes = classes, Skipped = left };
    }
}
