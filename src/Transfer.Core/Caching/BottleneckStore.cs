using Transfer.Images;

namespace Transfer.Caching;

/// <summary>
/// The vectors of one fingerprint (backbone and preprocessing) in a <see cref="BottleneckCache"/>:
/// batch lookup by <see cref="ContentHash"/>, buffered adds committed atomically in segments, and
/// the rows of a dataset streamed from disk (as an ML.NET data view by <see cref="BottleneckStoreDataViewExtensions.LoadFeatures"/>).
/// Get one with <see cref="BottleneckCache.GetStore"/>.
/// </summary>
/// <remarks>
/// Thread-safe. Only the keys are held in memory (about 52 bytes a vector), never the vectors,
/// apart from the current write buffer and the last two segments read.
/// Segments committed by other processes after the store was opened are seen after <see cref="Refresh"/>.
/// </remarks>
public sealed partial class BottleneckStore : Transfer.Featurization.IFeatureStore
{
    private const int RecentSegmentCapacity = 2;

    // Every field is guarded by _gate; the methods named …Locked expect it held.
    private readonly object _gate = new();
    private readonly BottleneckCache _cache;

    // The committed segments: a key's Location is an index into _segments and a row in that file.
    private readonly List<SegmentEntry> _segments = [];
    private readonly HashSet<string> _knownNames = new(StringComparer.Ordinal);
    private readonly Dictionary<ContentHash, Location> _index = [];

    // The write buffer (see BottleneckStore.WriteBuffer.cs): rows 0.._pendingCount of _pendingKeys and _pendingVectors.
    private readonly Dictionary<ContentHash, int> _pendingIndex = [];
    private ContentHash[] _pendingKeys = [];
    private float[] _pendingVectors = [];
    private int _pendingCount;
    private bool _lastCommitFailed;

    // The last segments read (see BottleneckStore.Lookup.cs), so a lookup batch that revisits one does not read it again.
    private readonly (int Segment, float[] Values)[] _recent = new (int, float[])[RecentSegmentCapacity];
    private int _recentNext;

    // Bumped when segment numbers change (prune, clear), so rows planned before are not read from the new list.
    private int _generation;

    private long _hits;
    private long _misses;
    private long _added;
    private long _duplicates;
    private long _segmentsWritten;
    private long _segmentsLoaded;
    private long _corrupt;

    internal BottleneckStore(BottleneckCache cache, string fingerprint, int dimension, string directory)
    {
        _cache = cache;
        Fingerprint = fingerprint;
        Dimension = dimension;
        Directory = directory;
        for (int i = 0; i < _recent.Length; i++)
        {
            _recent[i] = (-1, []);
        }
    }

    /// <summary>Gets the fingerprint (backbone and preprocessing) whose vectors this store holds.</summary>
    public string Fingerprint { get; }

    /// <summary>Gets the length of every vector in this store.</summary>
    public int Dimension { get; }

    /// <summary>Gets the folder holding this store's segment files.</summary>
    public string Directory { get; }

    /// <summary>Gets the number of distinct keys available (committed and buffered).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count + _pendingIndex.Count;
            }
        }
    }

    /// <summary>Gets a snapshot of this store's counters.</summary>
    public CacheStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new CacheStatistics(_hits, _misses, _added, _duplicates, _segmentsWritten, _segmentsLoaded, _corrupt, _index.Count + _pendingIndex.Count);
            }
        }
    }

    internal int SegmentCount
    {
        get
        {
            lock (_gate)
            {
                return _segments.Count(s => !s.Dropped);
            }
        }
    }

    internal long CorruptCount
    {
        get
        {
            lock (_gate)
            {
                return _corrupt;
            }
        }
    }

    internal void Open()
    {
        lock (_gate)
        {
            // The folder is created by the first commit, so an unused fingerprint leaves no trace.
            RefreshLocked();
            CacheLog.StoreOpened(_cache.Logger, Fingerprint, _index.Count, _segments.Count, Directory);
        }
    }

    private readonly record struct Location(int Segment, int Row);

    private sealed record SegmentEntry(string Path, int Count)
    {
        public bool Dropped { get; init; }
    }
}
