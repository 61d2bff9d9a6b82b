using System.Globalization;
using Transfer.Images;

namespace Transfer.Caching;

/// <content>Reads: batch lookup by content hash, and the segment reads behind it.</content>
public sealed partial class BottleneckStore
{
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
            Diagnostics.CoreTelemetry.CacheHits.Add(keys.Length - missing.Count);
            Diagnostics.CoreTelemetry.CacheMisses.Add(missing.Count);
            return new CacheLookupResult(keys.Length, [.. missing]);
        }
    }

    /// <inheritdoc />
    IReadOnlyList<int> Transfer.Featurization.IFeatureStore.Lookup(ReadOnlySpan<ContentHash> keys, Span<float> destination) => Lookup(keys, destination).MissingIndices;

    /// <summary>Looks up one key; see <see cref="Lookup"/>.</summary>
    /// <param name="key">The image's content hash.</param>
    /// <param name="destination">At least <see cref="Dimension"/> floats.</param>
    /// <returns><see langword="true"/> when found and written.</returns>
    public bool TryGet(ContentHash key, Span<float> destination) => Lookup([key], destination).Hits == 1;

    /// <summary>
    /// Returns a segment's vectors, from the last segments read or from disk. A segment that fails its checksum is
    /// quarantined and one that is gone is dropped; either way its keys become misses (null).
    /// </summary>
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

    private readonly record struct Read(int Segment, int Row, int Position);
}
