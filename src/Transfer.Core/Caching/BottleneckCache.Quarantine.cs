namespace Transfer.Caching;

/// <content>Corrupt segments: moved to their store's quarantine folder and reported.</content>
public sealed partial class BottleneckCache
{
    /// <summary>Moves a corrupt segment into its store's quarantine folder; returns where, or null when it could not be moved.</summary>
    internal static string? Quarantine(string path)
    {
        try
        {
            string quarantine = Path.Combine(Path.GetDirectoryName(path)!, QuarantineDirectoryName);
            System.IO.Directory.CreateDirectory(quarantine);
            string target = Path.Combine(quarantine, Path.GetFileName(path));
            File.Move(path, target, overwrite: true);
            return target;
        }
        catch (IOException)
        {
            // Moved or deleted by another process; it is out of the way either way.
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void ReportCorrupt(string path, string reason)
    {
        Interlocked.Increment(ref _corruptOutsideStores);
        string? quarantined = Quarantine(path);
        CacheLog.SegmentCorrupt(Logger, path, reason, quarantined, 0);
        RaiseCorruptSegment(new CorruptSegmentEventArgs("(unknown: found by prune)", path, quarantined, reason));
    }
}
