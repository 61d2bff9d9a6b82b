using Transfer.Images;

namespace Transfer.Caching;

/// <content>Corrupt segments: dropped from the index, moved to quarantine and reported.</content>
public sealed partial class BottleneckStore
{
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
}
