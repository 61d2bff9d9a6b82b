using System.Globalization;

namespace Transfer.Auditing;

/// <summary>What <see cref="LabelAudit"/> found in a labelled image set: images whose label looks wrong, and near-duplicate images.</summary>
public sealed class LabelAuditResult
{
    internal LabelAuditResult(int images, IReadOnlyList<string> classes, string judge, int folds, double outOfFoldAccuracy, IReadOnlyList<SuspectLabel> suspects, float duplicateThreshold, IReadOnlyList<NearDuplicate> duplicates)
    {
        Images = images;
        Classes = classes;
        Judge = judge;
        Folds = folds;
        OutOfFoldAccuracy = outOfFoldAccuracy;
        Suspects = suspects;
        DuplicateThreshold = duplicateThreshold;
        Duplicates = duplicates;
    }

    /// <summary>Gets the number of images audited.</summary>
    public int Images { get; }

    /// <summary>Gets the class names.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Gets the head whose out-of-fold probabilities judged the labels (e.g. <c>auto → lbfgs l2=1</c>).</summary>
    public string Judge { get; }

    /// <summary>Gets the number of cross-validation folds.</summary>
    public int Folds { get; }

    /// <summary>Gets the fraction of images whose given label is the most probable out of fold (a noisy label lowers it).</summary>
    public double OutOfFoldAccuracy { get; }

    /// <summary>
    /// Gets the images whose label the head doubts — another class is more probable out of fold, or confident learning
    /// counts a label issue — most suspect first (by self-confidence: the lowest out-of-fold probability of the given
    /// label first). Look at the top of the list: a wrong label, an ambiguous image, or an image of none of the classes.
    /// </summary>
    public IReadOnlyList<SuspectLabel> Suspects { get; }

    /// <summary>Gets the number of suspects confident learning counts as label issues: an estimate of how many labels are wrong.</summary>
    public int LabelIssues => Suspects.Count(s => s.IsLabelIssue);

    /// <summary>Gets the cosine similarity from which two images were counted as near-duplicates.</summary>
    public float DuplicateThreshold { get; }

    /// <summary>Gets the near-duplicate pairs: those filed under different classes first, then by similarity, highest first.</summary>
    public IReadOnlyList<NearDuplicate> Duplicates { get; }

    /// <summary>Gets the number of near-duplicate pairs filed under different classes.</summary>
    public int CrossClassDuplicates => Duplicates.Count(d => d.CrossClass);

    /// <summary>Gets the number of pairs of byte-identical files.</summary>
    public int IdenticalDuplicates => Duplicates.Count(d => d.Identical);

    /// <summary>Returns a one-line summary.</summary>
    /// <returns>The summary, e.g. "5000 images: 612 suspect labels (498 label issues), 3 near-duplicate pairs (1 across classes, 0 identical)".</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Images} images: {Suspects.Count} suspect labels ({LabelIssues} label issues), {Duplicates.Count} near-duplicate pairs ({CrossClassDuplicates} across classes, {IdenticalDuplicates} identical)");
}
