namespace Transfer.Images;

/// <summary>An image whose exact bytes are in both the training and the test set (found by <see cref="DatasetAudit"/>): test metrics on it are not a measure of generalisation.</summary>
public sealed class ImageLeak
{
    internal ImageLeak(ContentHash hash, IReadOnlyList<ImageEntry> train, IReadOnlyList<ImageEntry> test)
    {
        Hash = hash;
        Train = train;
        Test = test;
    }

    /// <summary>Gets the SHA-256 of the shared bytes.</summary>
    public ContentHash Hash { get; }

    /// <summary>Gets the copies in the training set (one or more).</summary>
    public IReadOnlyList<ImageEntry> Train { get; }

    /// <summary>Gets the copies in the test set (one or more).</summary>
    public IReadOnlyList<ImageEntry> Test { get; }

    /// <summary>Gets a value indicating whether a training copy and a test copy carry different labels.</summary>
    public bool HasConflictingLabels => Train.Concat(Test).Select(e => e.Label).Distinct(StringComparer.Ordinal).Skip(1).Any();

    /// <inheritdoc />
    public override string ToString() =>
        $"{Hash.ToString()[..12]} in train ({string.Join(", ", Train.Select(e => e.Name))}) and test ({string.Join(", ", Test.Select(e => e.Name))})";
}
