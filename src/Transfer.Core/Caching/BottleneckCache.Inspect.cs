namespace Transfer.Caching;

/// <content>Inspection: what the folder holds, read from segment footers.</content>
public sealed partial class BottleneckCache
{
    /// <summary>
    /// Describes the folder: per fingerprint the vectors, segments and bytes on disk, read from segment footers
    /// (no vectors are read). Segments of other processes are included.
    /// </summary>
    /// <returns>The inspection.</returns>
    public CacheInspection Inspect()
    {
        EnsureNotDisposed();
        var fingerprints = new List<FingerprintInspection>();
        int segments = 0, quarantined = 0, temporary = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            string? fingerprint = null;
            int dimension = 0, count = 0, unreadable = 0;
            long vectors = 0, bytes = 0;
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.AllDirectories))
            {
                bytes += file.Length;
                if (file.Name.EndsWith(SegmentFile.TempExtension, StringComparison.Ordinal))
                {
                    temporary++;
                }
                else if (Path.GetFileName(file.DirectoryName) == QuarantineDirectoryName)
                {
                    quarantined++;
                }
                else if (SegmentFile.IsSegmentName(file.Name))
                {
                    try
                    {
                        SegmentHeader header = SegmentFile.ReadFooter(file.FullName);
                        fingerprint ??= header.Fingerprint;
                        dimension = header.Dimension;
                        vectors += header.Count;
                        count++;
                    }
                    catch (Exception ex) when (ex is SegmentCorruptException or IOException)
                    {
                        unreadable++;
                    }
                }
            }

            segments += count;
            if (bytes == 0 && count == 0 && unreadable == 0)
            {
                continue;
            }

            fingerprints.Add(new FingerprintInspection(fingerprint, storeDirectory, dimension, vectors, count, unreadable, bytes));
        }

        long total = SafeFiles(Directory, SearchOption.AllDirectories).Sum(f => f.Length);
        return new CacheInspection(Directory, fingerprints, total, segments, quarantined, temporary);
    }
}
