namespace Transfer.Images;

/// <summary>
/// Finds exact duplicate images by content (SHA-256 of the bytes, as the bottleneck cache keys them): the same image
/// twice within a set, and the same image in both the training and the test set ("leakage", which inflates test metrics).
/// </summary>
/// <remarks>
/// Only byte-identical files are found: a re-encoded, resized or cropped copy of a photo is a different file. Files that
/// cannot be read are listed in <see cref="DatasetAuditResult.Unreadable"/> instead of stopping the audit.
/// </remarks>
public static class DatasetAudit
{
    /// <summary>Audits a training set and, optionally, its test set.</summary>
    /// <param name="train">The training images.</param>
    /// <param name="test">The test images, or <see langword="null"/> to look for duplicates in <paramref name="train"/> only.</param>
    /// <param name="cancellationToken">Stops the audit between images.</param>
    /// <returns>Duplicate groups within each set and images found in both.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="train"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static DatasetAuditResult Run(ImageSet train, ImageSet? test = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        var unreadable = new List<SkippedImage>();
        var trainHashes = Hash(train, unreadable, cancellationToken);
        var testHashes = test is null ? null : Hash(test, unreadable, cancellationToken);

        var duplicates = new List<DuplicateGroup>();
        AddDuplicates(trainHashes, DatasetPart.Train, duplicates);
        var leaks = new List<ImageLeak>();
        if (testHashes is not null)
        {
            AddDuplicates(testHashes, DatasetPart.Test, duplicates);
            foreach (var (hash, testEntries) in testHashes)
            {
                if (trainHashes.TryGetValue(hash, out var trainEntries))
                {
                    leaks.Add(new ImageLeak(hash, trainEntries, testEntries));
                }
            }
        }

        var all = trainHashes.SelectMany(g => g.Value.Select(e => (DatasetPart.Train, e.Label, g.Key)));
        if (testHashes is not null)
        {
            all = all.Concat(testHashes.SelectMany(g => g.Value.Select(e => (DatasetPart.Test, e.Label, g.Key))));
        }

        return new DatasetAuditResult(train.Count, test?.Count ?? 0, duplicates, leaks, unreadable, DatasetHash.Combine(all));
    }

    private static Dictionary<ContentHash, List<ImageEntry>> Hash(ImageSet set, List<SkippedImage> unreadable, CancellationToken cancellationToken)
    {
        // Insertion order is the set's order, so groups and leaks come out in a stable, reproducible order.
        var byHash = new Dictionary<ContentHash, List<ImageEntry>>();
        foreach (var entry in set.Entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ContentHash hash;
            try
            {
                hash = entry.Path is null ? ContentHash.Compute(entry.ReadBytes().Span) : ContentHash.ComputeFile(entry.Path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidImageException)
            {
                unreadable.Add(new SkippedImage(entry.Name, $"cannot be read ({e.Message})"));
                continue;
            }

            if (!byHash.TryGetValue(hash, out var list))
            {
                byHash[hash] = list = [];
            }

            list.Add(entry);
        }

        return byHash;
    }

    private static void AddDuplicates(Dictionary<ContentHash, List<ImageEntry>> byHash, DatasetPart part, List<DuplicateGroup> groups)
    {
        foreach (var (hash, entries) in byHash)
        {
            if (entries.Count > 1)
            {
                groups.Add(new DuplicateGroup(hash, part, entries));
            }
        }
    }
}
