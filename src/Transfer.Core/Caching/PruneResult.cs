using Transfer.Images;

namespace Transfer.Caching;

/// <summary>What <see cref="BottleneckCache.Prune(Func{ContentHash, bool})"/> removed.</summary>
/// <param name="VectorsRemoved">Stored vectors whose key was not kept.</param>
/// <param name="VectorsKept">Stored vectors whose key was kept.</param>
/// <param name="SegmentsDeleted">Segment files deleted because none of their keys was kept.</param>
/// <param name="SegmentsRewritten">Segment files replaced by a smaller one holding only the kept keys.</param>
/// <param name="FilesRemoved">Quarantined and stale temporary files deleted.</param>
/// <param name="BytesFreed">Bytes on disk before minus bytes after.</param>
public sealed record PruneResult(
    long VectorsRemoved,
    long VectorsKept,
    int SegmentsDeleted,
    int SegmentsRewritten,
    int FilesRemoved,
    long BytesFreed);
