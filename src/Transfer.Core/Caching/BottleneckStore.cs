using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Transfer.Caching;

/// <summary>
/// The vectors of one fingerprint (backbone and preprocessing) in a <see cref="BottleneckCache"/>:
/// batch lookup by <see cref="ContentHash"/>, buffered adds committed atomically in segments, and
/// an ML.NET <see cref="IDataView"/> streamed from disk. Get one with <see cref="BottleneckCache.GetStore"/>.
/// </summary>
/// <remarks>
/// Thread-safe. Only the keys are held in memory (about 52 bytes a vector), never the vectors,
/// apart from the current write buffer and the last two segments read.
/// Segments committed by other processes after the store was opened are seen after <see cref="Refresh"/>.
/// </remarks>
public sealed class BottleneckStore : Transfer.Featurization.IFeatureStore
{
    private const int RecentSegmentCapacity = 2;

    private readonly object _gate = new();
    private readonly BottleneckCache _cache;
    private readonly List<SegmentEntry> _segments = [];
    private readonly HashSet<string> _knownNames = new(StringComparer.Ordinal);
    private readonly Dictionary<ContentHash, Location> _index = [];
    private readonly Dictionary<ContentHash, int> _pendingIndex = [];
    private readonly (int Segment, float[] Values)[] _recent = new (int, float[])[RecentSegmentCapacity];
    private ContentHash[] _pendingKeys = [];
    private float[] _pendingVectors = [];
    private int _pendingCount;
    private int _generation;
    private int _recentNext;
    private long _hits;
    private long _misses;
    private long _added;
    private long _duplicates;
    private long _segmentsWritten;
    private bool _lastCommitFailed;
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

    /// <summary>Tells whether a vector for <paramref name="key"/> is available, without reading it or counting a hit.</summary>
    /// <param name="key">The image's content hash.</param>
    /// <returns><see langword="true"/> when the key is committed or buffered.</returns>
    public bool Contains(ContentHash key)
    {
        lock (_gate)
        {
            return _index.ContainsKey(key) || _pendingIndex.ContainsKey(key);
        }
    }

    /// <summary>
    /// Looks up a batch of keys: writes the vector of each key found to row <c>i</c> of
    /// <paramref name="destination"/> (<c>destination[(i * Dimension)..((i + 1) * Dimension)]</c>) and
    /// reports the positions of the keys not found. Each segment involved is read once per call.
    /// </summary>
    /// <param name="keys">The content hashes of the images, in any order; duplicates are allowed.</param>
    /// <param name="destination">At least <c>keys.Length * Dimension</c> floats; rows of missing keys are left untouched.</param>
    /// <returns>The hits, misses and missing positions.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    /// <exception cref="ObjectDisposedException">The cache was disposed.</exception>
    /// <remarks>A segment found corrupt on the way is quarantined and reported (<see cref="BottleneckCache.CorruptSegmentFound"/>); its keys are reported missing.</remarks>
    public CacheLookupResult Lookup(ReadOnlySpan<ContentHash> keys, Span<float> destination)
    {
        if (destination.Length < (long)keys.Length * Dimension)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Parameter \"destination\" must hold {keys.Length} × {Dimension} = {(long)keys.Length * Dimension} floats, was {destination.Length}."), nameof(destination));
        }

        lock (_gate)
        {
            _cache.EnsureNotDisposed();
            var found = new bool[keys.Length];
            var reads = new List<Read>();
            for (int i = 0; i < keys.Length; i++)
            {
                if (_pendingIndex.TryGetValue(keys[i], out int pendingRow))
                {
                    _pendingVectors.AsSpan(pendingRow * Dimension, Dimension).CopyTo(destination.Slice(i * Dimension, Dimension));
                    found[i] = true;
                }
                else if (_index.TryGetValue(keys[i], out Location location))
                {
                    reads.Add(new Read(location.Segment, location.Row, i));
                }
            }

            reads.Sort(static (x, y) => x.Segment != y.Segment ? x.Segment.CompareTo(y.Segment) : x.Row.CompareTo(y.Row));
            int start = 0;
            while (start < reads.Count)
            {
                int segment = reads[start].Segment;
                int end = start;
                while (end < reads.Count && reads[end].Segment == segment)
                {
                    end++;
                }

                float[]? values = ReadSegmentLocked(segment);
                if (values is not null)
                {
                    for (int r = start; r < end; r++)
                    {
                        values.AsSpan(reads[r].Row * Dimension, Dimension).CopyTo(destination.Slice(reads[r].Position * Dimension, Dimension));
                        found[reads[r].Position] = true;
                    }
                }

                start = end;
            }

            var missing = new List<int>();
            for (int i = 0; i < found.Length; i++)
            {
                if (!found[i])
                {
                    missing.Add(i);
                }
            }

            _hits += keys.Length - missing.Count;
            _misses += missing.Count;
            return new CacheLookupResult(keys.Length, [.. missing]);
        }
    }

    /// <inheritdoc />
    IReadOnlyList<int> Transfer.Featurization.IFeatureStore.Lookup(ReadOnlySpan<ContentHash> keys, Span<float> destination) => Lookup(keys, destination).MissingIndices;

    /// <inheritdoc />
    void Transfer.Featurization.IFeatureStore.Add(ContentHash key, ReadOnlySpan<float> features) => Add(key, features);

    /// <summary>Looks up one key; see <see cref="Lookup"/>.</summary>
    /// <param name="key">The image's content hash.</param>
    /// <param name="destination">At least <see cref="Dimension"/> floats.</param>
    /// <returns><see langword="true"/> when found and written.</returns>
    public bool TryGet(ContentHash key, Span<float> destination) => Lookup([key], destination).Hits == 1;

    /// <summary>
    /// Adds a vector to the write buffer; the buffer is committed as one segment file when it holds
    /// <see cref="BottleneckCacheOptions.SegmentSize"/> vectors, and on <see cref="Flush"/> and dispose.
    /// A key already present is ignored (same content, same vector).
    /// </summary>
    /// <param name="key">The image's content hash.</param>
    /// <param name="vector">The bottleneck vector, <see cref="Dimension"/> long; copied.</param>
    /// <returns><see langword="true"/> when added, <see langword="false"/> when the key was already present.</returns>
    /// <exception cref="ArgumentException"><paramref name="vector"/> has the wrong length.</exception>
    /// <exception cref="IOException">A segment could not be written (the vectors stay buffered; fix the disk and <see cref="Flush"/>).</exception>
    public bool Add(ContentHash key, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Parameter \"vector\" must have the store's dimension {Dimension} (fingerprint \"{Fingerprint}\"), was {vector.Length}."), nameof(vector));
        }

        lock (_gate)
        {
            _cache.EnsureNotDisposed();
            if (_index.ContainsKey(key) || _pendingIndex.ContainsKey(key))
            {
                _duplicates++;
                return false;
            }

            int segmentSize = _cache.Options.SegmentSize;
            if (_pendingKeys.Length < segmentSize)
            {
                Array.Resize(ref _pendingKeys, segmentSize);
                Array.Resize(ref _pendingVectors, segmentSize * Dimension);
            }

            if (_pendingCount >= segmentSize)
            {
                // The last commit failed (a full disk, say) and left the buffer full: retry before buffering more.
                CommitLocked();
            }

            int row = _pendingCount++;
            _pendingKeys[row] = key;
            vector.CopyTo(_pendingVectors.AsSpan(row * Dimension, Dimension));
            _pendingIndex.Add(key, row);
            _added++;
            if (_pendingCount >= segmentSize)
            {
                CommitLocked();
            }

            return true;
        }
    }

    /// <summary>Commits the buffered vectors as one segment file (temporary file, flushed, renamed). Does nothing when the buffer is empty.</summary>
    /// <exception cref="IOException">The segment could not be written; the vectors stay buffered.</exception>
    public void Flush()
    {
        lock (_gate)
        {
            CommitLocked();
        }
    }

    /// <summary>
    /// Commits the buffered vectors when the cache is disposed. When the last commit already failed and threw (a full
    /// disk), the buffered vectors are dropped with one warning instead of failing again: that error has been reported
    /// once, and a second one thrown from <c>Dispose</c> would replace it. The dropped vectors are recomputed next time.
    /// </summary>
    internal void FlushOnDispose()
    {
        lock (_gate)
        {
            if (_lastCommitFailed && _pendingCount > 0)
            {
                CacheLog.PendingDropped(_cache.Logger, _pendingCount, Directory);
                _pendingIndex.Clear();
                _pendingCount = 0;
                return;
            }

            CommitLocked();
        }
    }

    /// <summary>Indexes segments committed by other processes since the store was opened or last refreshed.</summary>
    /// <returns>The number of new segments indexed.</returns>
    public int Refresh()
    {
        lock (_gate)
        {
            _cache.EnsureNotDisposed();
            return RefreshLocked();
        }
    }

    /// <summary>
    /// Streams the vectors of <paramref name="rows"/> from disk as an ML.NET <see cref="IDataView"/> with
    /// columns <c>Label</c> (text) and <c>Features</c> (vector of <see cref="float"/> of size <see cref="Dimension"/>).
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="rows">The images to train on: content hash and label, from the current dataset (labels are not stored in the cache).</param>
    /// <returns>
    /// A data view that reads one segment at a time on each cursor; rows come grouped by segment, not in the order of
    /// <paramref name="rows"/> (shuffle with <c>mlContext.Data.ShuffleRows</c> if the trainer needs it).
    /// </returns>
    /// <exception cref="InvalidOperationException">Some rows are not in the store; the message counts them and names the first.</exception>
    /// <remarks>Buffered vectors are committed first. If a segment becomes corrupt or is deleted while cursoring, the cursor throws <see cref="InvalidDataException"/>; after a prune or clear in this process, <see cref="InvalidOperationException"/>.</remarks>
    public IDataView LoadFeatures(MLContext mlContext, IEnumerable<(ContentHash Hash, string Label)> rows)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(rows);
        var plan = new List<PlannedRow>();
        int generation;
        lock (_gate)
        {
            _cache.EnsureNotDisposed();
            CommitLocked();
            generation = _generation;
            int missing = 0;
            ContentHash firstMissing = default;
            foreach ((ContentHash hash, string label) in rows)
            {
                if (_index.TryGetValue(hash, out Location location))
                {
                    plan.Add(new PlannedRow(location.Segment, location.Row, label));
                }
                else if (missing++ == 0)
                {
                    firstMissing = hash;
                }
            }

            if (missing > 0)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{missing} of {missing + plan.Count} rows have no vector in the bottleneck cache for fingerprint \"{Fingerprint}\" under {Directory} (first: {firstMissing}). Featurize them into the cache before loading features."));
            }
        }

        plan.Sort(static (x, y) => x.Segment != y.Segment ? x.Segment.CompareTo(y.Segment) : x.Row.CompareTo(y.Row));
        SchemaDefinition schema = SchemaDefinition.Create(typeof(CachedFeatureRow));
        schema[CachedFeatureRow.FeaturesColumnName].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Dimension);
        return mlContext.Data.LoadFromEnumerable(new FeatureRows(this, plan, generation), schema);
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

    /// <summary>Forgets everything in memory (buffer included) and indexes the folder again.</summary>
    internal void Reload(bool keepPending)
    {
        lock (_gate)
        {
            if (!keepPending)
            {
                _pendingIndex.Clear();
                _pendingCount = 0;
            }

            // Segment numbers change: data views planned before must not read the new list.
            _generation++;
            _segments.Clear();
            _knownNames.Clear();
            _index.Clear();
            for (int i = 0; i < _recent.Length; i++)
            {
                _recent[i] = (-1, []);
            }

            RefreshLocked();
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

    private int RefreshLocked()
    {
        int added = 0;
        IEnumerable<string> files;
        try
        {
            files = System.IO.Directory.EnumerateFiles(Directory, "*" + SegmentFile.Extension).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            // Cleared by another process; segments written from now on recreate the folder.
            return 0;
        }

        foreach (string path in files)
        {
            string name = Path.GetFileName(path);
            if (!SegmentFile.IsSegmentName(name) || _knownNames.Contains(name))
            {
                continue;
            }

            SegmentHeader header;
            try
            {
                header = SegmentFile.ReadKeys(path);
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            catch (SegmentCorruptException ex)
            {
                _knownNames.Add(name);
                QuarantineLocked(path, ex.Message, count: 0);
                continue;
            }

            _knownNames.Add(name);
            bool foreign = !string.Equals(header.Fingerprint, Fingerprint, StringComparison.Ordinal) || header.Dimension != Dimension;
            if (foreign && !SegmentFile.HasValidChecksum(path))
            {
                // A damaged footer can look like another fingerprint or size: only an intact file is believed.
                QuarantineLocked(path, "footer does not match the store and the file fails its checksum", count: 0);
                continue;
            }

            if (!string.Equals(header.Fingerprint, Fingerprint, StringComparison.Ordinal))
            {
                CacheLog.ForeignSegment(_cache.Logger, path, header.Fingerprint, Fingerprint);
                continue;
            }

            if (header.Dimension != Dimension)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Bottleneck cache segment {path} holds vectors of dimension {header.Dimension} for fingerprint \"{Fingerprint}\", but the store was asked for dimension {Dimension}. The fingerprint must change whenever the backbone's output changes; include the feature size in it, or clear the cache."));
            }

            int segment = _segments.Count;
            _segments.Add(new SegmentEntry(path, header.Count));
            for (int row = 0; row < header.Keys.Length; row++)
            {
                // A key stored twice (two writers) is the same vector; the first copy is used.
                if (_index.TryAdd(header.Keys[row], new Location(segment, row)))
                {
                    _pendingIndex.Remove(header.Keys[row]);
                }
            }

            _segmentsLoaded++;
            added++;
        }

        if (_pendingIndex.Count > 0 && added > 0)
        {
            CompactPendingLocked();
        }

        return added;
    }

    // Another writer committed some keys that were buffered here: close the gaps left in the buffer.
    private void CompactPendingLocked()
    {
        int count = 0;
        for (int row = 0; row < _pendingCount; row++)
        {
            ContentHash key = _pendingKeys[row];
            if (_pendingIndex.TryGetValue(key, out int at) && at == row)
            {
                if (count != row)
                {
                    _pendingKeys[count] = key;
                    _pendingVectors.AsSpan(row * Dimension, Dimension).CopyTo(_pendingVectors.AsSpan(count * Dimension, Dimension));
                    _pendingIndex[key] = count;
                }

                count++;
            }
        }

        _pendingCount = count;
    }

    private void CommitLocked()
    {
        int count = _pendingCount;
        if (count == 0)
        {
            return;
        }

        string path;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            path = SegmentFile.Write(Directory, Fingerprint, Dimension, _cache.Options.Storage, _pendingKeys.AsSpan(0, count), _pendingVectors.AsSpan(0, count * Dimension));
        }
        catch (IOException)
        {
            _lastCommitFailed = true;
            throw;
        }

        _lastCommitFailed = false;
        string name = Path.GetFileName(path);
        int segment = _segments.Count;
        _segments.Add(new SegmentEntry(path, count));
        _knownNames.Add(name);
        for (int row = 0; row < count; row++)
        {
            _index.TryAdd(_pendingKeys[row], new Location(segment, row));
        }

        _pendingIndex.Clear();
        _pendingCount = 0;
        _segmentsWritten++;
        CacheLog.SegmentCommitted(_cache.Logger, count, path);
    }

    private float[]? ReadSegmentLocked(int segment)
    {
        for (int i = 0; i < _recent.Length; i++)
        {
            if (_recent[i].Segment == segment)
            {
                return _recent[i].Values;
            }
        }

        SegmentEntry entry = _segments[segment];
        if (entry.Dropped)
        {
            return null;
        }

        float[] values;
        try
        {
            values = SegmentFile.ReadVectors(entry.Path, Dimension);
        }
        catch (SegmentCorruptException ex)
        {
            DropLocked(segment);
            QuarantineLocked(entry.Path, ex.Message, entry.Count);
            return null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted by a prune or clear in another process: its keys become misses and are recomputed.
            DropLocked(segment);
            return null;
        }

        _recent[_recentNext] = (segment, values);
        _recentNext = (_recentNext + 1) % _recent.Length;
        return values;
    }

    private void DropLocked(int segment)
    {
        _segments[segment] = _segments[segment] with { Dropped = true };
        foreach (KeyValuePair<ContentHash, Location> pair in _index)
        {
            if (pair.Value.Segment == segment)
            {
                _index.Remove(pair.Key);
            }
        }
    }

    private void QuarantineLocked(string path, string reason, int count)
    {
        _corrupt++;
        string? quarantined = BottleneckCache.Quarantine(path);
        CacheLog.SegmentCorrupt(_cache.Logger, path, reason, quarantined, count);
        _cache.RaiseCorruptSegment(new CorruptSegmentEventArgs(Fingerprint, path, quarantined, reason));
    }

    private float[] ReadSegmentForCursor(int segment, int generation, string labelForError)
    {
        lock (_gate)
        {
            _cache.EnsureNotDisposed();
            if (generation != _generation)
            {
                throw new InvalidOperationException($"The bottleneck store for fingerprint \"{Fingerprint}\" was pruned or cleared after this data view was created. Call LoadFeatures again.");
            }

            return ReadSegmentLocked(segment) ?? throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Bottleneck cache segment {_segments[segment].Path} (fingerprint \"{Fingerprint}\", a row labelled \"{labelForError}\") became unreadable while training read it: it was corrupt or deleted. Run featurization again; it recomputes the missing vectors."));
        }
    }

    private readonly record struct Location(int Segment, int Row);

    private readonly record struct Read(int Segment, int Row, int Position);

    private readonly record struct PlannedRow(int Segment, int Row, string Label);

    private sealed record SegmentEntry(string Path, int Count)
    {
        public bool Dropped { get; init; }
    }

    /// <summary>Re-enumerable rows for ML.NET: each enumeration (cursor) reads the planned segments one by one.</summary>
    private sealed class FeatureRows(BottleneckStore store, List<PlannedRow> plan, int generation) : IEnumerable<CachedFeatureRow>
    {
        public IEnumerator<CachedFeatureRow> GetEnumerator()
        {
            int current = -1;
            float[] values = [];
            foreach (PlannedRow row in plan)
            {
                if (row.Segment != current)
                {
                    values = store.ReadSegmentForCursor(row.Segment, generation, row.Label);
                    current = row.Segment;
                }

                yield return new CachedFeatureRow
                {
                    Label = row.Label,
                    Features = values.AsSpan(row.Row * store.Dimension, store.Dimension).ToArray(),
                };
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
