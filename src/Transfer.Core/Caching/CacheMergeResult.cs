namespace Transfer.Caching;

/// <summary>What <see cref="BottleneckCache.Merge"/> did.</summary>
/// <param name="SegmentsRead">Source segments whose checksum passed and whose vectors were considered.</param>
/// <param name="VectorsAdded">Vectors the destination did not hold and now does.</param>
/// <param name="VectorsPresent">Source vectors the destination already held (a second merge adds none).</param>
/// <param name="DamagedSegments">Source segments refused because they failed their checksum or did not parse; they are left where they are, untouched.</param>
public sealed record CacheMergeResult(
    int SegmentsRead,
    long VectorsAdded,
    long VectorsPresent,
    IReadOnlyList<string> DamagedSegments);
