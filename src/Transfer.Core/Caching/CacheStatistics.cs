namespace Transfer.Caching;

/// <summary>A snapshot of a cache's or a store's counters since it was opened.</summary>
/// <param name="Hits">Keys found by lookups.</param>
/// <param name="Misses">Keys not found by lookups.</param>
/// <param name="Added">Vectors accepted by <see cref="BottleneckStore.Add"/>.</param>
/// <param name="DuplicatesIgnored">Vectors passed to <see cref="BottleneckStore.Add"/> whose key was already stored (same content, so same vector).</param>
/// <param name="SegmentsWritten">Segment files committed by this process.</param>
/// <param name="SegmentsLoaded">Segment files whose keys were indexed (own and other processes').</param>
/// <param name="CorruptSegments">Segment files found corrupt or truncated, quarantined, and whose vectors are recomputed.</param>
/// <param name="Vectors">Distinct keys currently available (committed and buffered).</param>
public sealed record CacheStatistics(
    long Hits,
    long Misses,
    long Added,
    long DuplicatesIgnored,
    long SegmentsWritten,
    long SegmentsLoaded,
    long CorruptSegments,
    long Vectors);
