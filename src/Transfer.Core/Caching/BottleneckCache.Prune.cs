using Transfer.Images;

namespace Transfer.Caching;

/// <content>Pruning: removing the vectors of images that are gone.</content>
public sealed partial class BottleneckCache
{
    /// <summary>Removes the vectors of images that are gone; see <see cref="Prune(Func{ContentHash, bool})"/>.</summary>
    /// <param name="keep">The content hashes of the images that still exist.</param>
    /// <returns>What was removed.</returns>
    public PruneResult Prune(IEnumerable<ContentHash> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var set = new HashSet<ContentHash>(keep);
        return Prune(set.Contains);
    }

    /// <summary>
    /// Removes, in every fingerprint, the vectors whose key <paramref name="keep"/> rejects: a segment with no
    /// kept key is deleted, one with some is rewritten (new segment committed, then the old deleted). Also deletes
    /// quarantined segments and stale temporary files. Buffered vectors are committed first.
    /// </summary>
    /// <param name="keep">Returns <see langword="true"/> for content hashes to keep.</param>
    /// <returns>What was removed.</returns>
    /// <remarks>
    /// Safe against a crash (a killed prune leaves old or new segments, possibly both, which only duplicates keys).
    /// Another process using the cache meanwhile may lose some vectors it had indexed and recompute them.
    /// </remarks>
    public PruneResult Prune(Func<ContentHash, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        EnsureNotDisposed();
        Flush();
        long before = SafeFiles(Directory, SearchOption.AllDirectories).Sum(f => f.Length);
        long removed = 0, kept = 0;
        int deleted = 0, rewritten = 0, filesRemoved = 0;
        foreach (string storeDirectory in StoreDirectories())
        {
            foreach (FileInfo file in SafeFiles(storeDirectory, SearchOption.TopDirectoryOnly))
            {
                if (!SegmentFile.IsSegmentName(file.Name))
                {
                    continue;
                }

                try
                {
                    SegmentHeader header = SegmentFile.ReadKeys(file.FullName);
                    var rows = new List<int>();
                    for (int i = 0; i < header.Keys.Length; i++)
                    {
                        if (keep(header.Keys[i]))
                        {
                            rows.Add(i);
                        }
                    }

                    kept += rows.Count;
                    removed += header.Count - rows.Count;
                    if (rows.Count == header.Count)
                    {
                        continue;
                    }

                    if (rows.Count > 0)
                    {
                        float[] values = SegmentFile.ReadVectors(file.FullName, header.Dimension);
                        var keys = new ContentHash[rows.Count];
                        var vectors = new float[rows.Count * header.Dimension];
                        for (int i = 0; i < rows.Count; i++)
                        {
                            keys[i] = header.Keys[rows[i]];
                            values.AsSpan(rows[i] * header.Dimension, header.Dimension).CopyTo(vectors.AsSpan(i * header.Dimension));
                        }

                        SegmentFile.Write(storeDirectory, header.Fingerprint, header.Dimension, header.Storage, keys, vectors);
                        rewritten++;
                    }
                    else
                    {
                        deleted++;
                    }

                    File.Delete(file.FullName);
                }
                catch (FileNotFoundException)
                {
                    // Pruned by another process meanwhile.
                }
                catch (SegmentCorruptException ex)
                {
                    ReportCorrupt(file.FullName, ex.Message);
                }
            }

            string quarantine = Path.Combine(storeDirectory, QuarantineDirectoryName);
            foreach (FileInfo file in SafeFiles(quarantine, SearchOption.TopDirectoryOnly))
            {
                file.Delete();
                filesRemoved++;
            }
        }

        filesRemoved += DeleteStaleTempFiles();
        foreach (BottleneckStore store in OpenStores())
        {
            store.Reload(keepPending: true);
        }

        long after = SafeFiles(Directory, SearchOption.AllDirectories).Sum(f => f.Length);
        return new PruneResult(removed, kept, deleted, rewritten, filesRemoved, before - after);
    }
}
