namespace Transfer.Images;

/// <summary>Images with identical bytes within one set (found by <see cref="DatasetAudit"/>).</summary>
public sealed class DuplicateGroup
{
    internal DuplicateGroup(ContentHash hash, DatasetPart part, IReadOnlyList<ImageEntry> entries)
    {
        Hash = hash;
        Part = part;
        Entries = entries;
        Labels = entries.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Gets the SHA-256 of the shared bytes.</summary>
    public ContentHash Hash { get; }

    /// <summary>Gets the set the copies are in.</summary>
    public DatasetPart Part { get; }

    /// <summary>Gets the copies (two or more), in the set's order.</summary>
    public IReadOnlyList<ImageEntry> Entries { get; }

    /// <summary>Gets the distinct labels the copies carry, in ordinal order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Gets a value indicating whether the copies carry different labels (the same picture filed under two classes: a labelling error).</summary>
    public bool HasConflictingLabels => Labels.Count > 1;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Part}: {Entries.Count} copies of {Hash.ToString()[..12]} ({string.Join(", ", Entries.Select(e => e.Name))}){(HasConflictingLabels ? $" labelled {string.Join(" / ", Labels)}" : string.Empty)}";
}
