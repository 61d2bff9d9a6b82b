namespace Transfer.Images;

/// <summary>What <see cref="DatasetAudit.Run"/> found: duplicates within each set and images in both train and test.</summary>
public sealed class DatasetAuditResult
{
    internal DatasetAuditResult(int trainCount, int testCount, IReadOnlyList<DuplicateGroup> duplicates, IReadOnlyList<ImageLeak> leaks, IReadOnlyList<SkippedImage> unreadable, string datasetHash)
    {
        TrainCount = trainCount;
        TestCount = testCount;
        Duplicates = duplicates;
        Leaks = leaks;
        Unreadable = unreadable;
        DatasetHash = datasetHash;
    }

    /// <summary>Gets the number of training images audited.</summary>
    public int TrainCount { get; }

    /// <summary>Gets the number of test images audited (0 without a test set).</summary>
    public int TestCount { get; }

    /// <summary>Gets the groups of identical images within the training set or within the test set.</summary>
    public IReadOnlyList<DuplicateGroup> Duplicates { get; }

    /// <summary>Gets the images present in both the training and the test set.</summary>
    public IReadOnlyList<ImageLeak> Leaks { get; }

    /// <summary>Gets the images that could not be read, so were not compared.</summary>
    public IReadOnlyList<SkippedImage> Unreadable { get; }

    /// <summary>
    /// Gets the content-based hash of the audited images (label and bytes of each, per set), as
    /// <see cref="Reporting.RunManifest.ComputeDatasetHash"/> gives it when every image is readable; unreadable images are left out.
    /// </summary>
    public string DatasetHash { get; }

    /// <summary>Gets the number of test images whose bytes are also in the training set.</summary>
    public int LeakedTestImages => Leaks.Sum(l => l.Test.Count);

    /// <summary>Gets a value indicating whether nothing was found: no duplicates, no leaks, nothing unreadable.</summary>
    public bool IsClean => Duplicates.Count == 0 && Leaks.Count == 0 && Unreadable.Count == 0;

    /// <summary>Returns a short summary, e.g. "2 duplicate groups (5 images), 3 test images also in train, 0 unreadable".</summary>
    /// <returns>The summary.</returns>
    public override string ToString() =>
        $"{Duplicates.Count} duplicate group(s) ({Duplicates.Sum(d => d.Entries.Count)} images), {LeakedTestImages} test image(s) also in train, {Unreadable.Count} unreadable";
}
