using System.Globalization;
using Transfer.Images;

namespace Transfer.Caching;

/// <content>Writes: the write buffer and its commit as one segment file.</content>
public sealed partial class BottleneckStore
{
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

    /// <inheritdoc />
    void Transfer.Featurization.IFeatureStore.Add(ContentHash key, ReadOnlySpan<float> features) => Add(key, features);

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
}
