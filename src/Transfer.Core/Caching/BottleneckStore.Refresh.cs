using System.Globalization;

namespace Transfer.Caching;

/// <content>Indexing: the segments on disk, including those other processes commit while the store is open.</content>
public sealed partial class BottleneckStore
{
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
}
