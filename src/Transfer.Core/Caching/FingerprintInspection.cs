namespace Transfer.Caching;

/// <summary>What a <see cref="BottleneckCache"/> holds for one fingerprint (backbone and preprocessing).</summary>
/// <param name="Fingerprint">The store fingerprint, or <see langword="null"/> when no segment of the folder could be read.</param>
/// <param name="Directory">The folder holding the store's segments.</param>
/// <param name="Dimension">The vector length, or 0 when unknown.</param>
/// <param name="Vectors">Vectors stored (a key written by two processes counts twice).</param>
/// <param name="Segments">Committed segment files.</param>
/// <param name="UnreadableSegments">Segment files whose footer could not be read (they will be quarantined on use).</param>
/// <param name="BytesOnDisk">Bytes of all files in the folder, temporary and quarantined ones included.</param>
public sealed record FingerprintInspection(
    string? Fingerprint,
    string Directory,
    int Dimension,
    long Vectors,
    int Segments,
    int UnreadableSegments,
    long BytesOnDisk);
