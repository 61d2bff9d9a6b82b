using Transfer.Images;

namespace Transfer.Caching;

/// <summary>The contents of a <see cref="BottleneckCache"/> folder, from <see cref="BottleneckCache.Inspect"/>.</summary>
/// <param name="Directory">The cache folder.</param>
/// <param name="Fingerprints">One entry per fingerprint (backbone and preprocessing) in the folder.</param>
/// <param name="BytesOnDisk">Bytes of all files in the cache folder.</param>
/// <param name="Segments">Committed segment files over all fingerprints.</param>
/// <param name="QuarantinedSegments">Corrupt segment files kept in quarantine folders (removed by <see cref="BottleneckCache.Prune(Func{ContentHash, bool})"/>).</param>
/// <param name="TemporaryFiles">Uncommitted files of writers that are running or were killed.</param>
public sealed record CacheInspection(
    string Directory,
    IReadOnlyList<FingerprintInspection> Fingerprints,
    long BytesOnDisk,
    int Segments,
    int QuarantinedSegments,
    int TemporaryFiles);
