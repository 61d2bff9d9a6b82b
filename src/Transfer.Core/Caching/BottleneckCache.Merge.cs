using Transfer.Images;

namespace Transfer.Caching;

/// <content>Merging: the vectors of another cache folder (a shard's) added to this one.</content>
public sealed partial class BottleneckCache
{
    /// <summary>
    /// Adds every vector of another cache folder that this cache lacks, under the same fingerprint (backbone and
    /// preprocessing). Each source segment is checked (file checksum, keys checksum) before any vector is believed; a
    /// damaged one is refused, listed in the result and left untouched in the source, and the rest is merged. The source
    /// is only read. Idempotent: keys already here are skipped, so merging twice adds nothing and no key is stored twice.
    /// </summary>
    /// <param name="sourceDirectory">The cache folder to merge from (it holds <c>transfer-cache.json</c>).</param>
    /// <param name="cancellationToken">Stops between segments; what was merged so far is committed.</param>
    /// <returns>Counts and the refused segments.</returns>
    /// <exception cref="ArgumentException"><paramref name="sourceDirectory"/> is this cache's folder.</exception>
    /// <exception cref="DirectoryNotFoundException">The source folder does not exist or is not a cache (no marker file).</exception>
    /// <exception cref="IOException">A segment could not be written here.</exception>
    public CacheMergeResult Merge(string sourceDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceDirectory);
        EnsureNotDisposed();
        string source = Path.GetFullPath(sourceDirectory);
        if (string.Equals(Path.TrimEndingDirectorySeparator(source), Path.TrimEndingDirectorySeparator(Directory), StringComparison.Ordinal))
        {
            throw new ArgumentException($"Cannot merge the cache \"{source}\" into itself; pass another cache folder as the source.", nameof(sourceDirectory));
        }

        if (!File.Exists(Path.Combine(source, MarkerFileName)))
        {
            throw new DirectoryNotFoundException($"\"{source}\" is not a bottleneck cache (it has no {MarkerFileName}). Pass a cache folder written by Transfer.");
        }

        int read = 0;
        long added = 0, present = 0;
        var damaged = new List<string>();
        foreach (string storeDirectory in System.IO.Directory.EnumerateDirectories(source, StorePrefix + "*").Order(StringComparer.Ordinal))
        {
            foreach (string path in System.IO.Directory.EnumerateFiles(storeDirectory, "*" + SegmentFile.Extension).Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!SegmentFile.IsSegmentName(Path.GetFileName(path)))
                {
                    continue;
                }

                SegmentHeader header;
                float[] vectors;
                try
                {
                    header = SegmentFile.ReadKeys(path);
                    vectors = SegmentFile.ReadVectors(path, header.Dimension); // checks the file's SHA-256 first
                }
                catch (SegmentCorruptException)
                {
                    damaged.Add(path);
                    continue;
                }
                catch (FileNotFoundException)
                {
                    continue; // pruned or cleared by another process while listing
                }

                read++;
                BottleneckStore store = GetStore(header.Fingerprint, header.Dimension);
                for (int row = 0; row < header.Keys.Length; row++)
                {
                    ContentHash key = header.Keys[row];
                    if (!store.Contains(key) && store.Add(key, vectors.AsSpan(row * header.Dimension, header.Dimension)))
                    {
                        added++;
                    }
                    else
                    {
                        present++;
                    }
                }
            }
        }

        Flush();
        return new CacheMergeResult(read, added, present, damaged);
    }
}
