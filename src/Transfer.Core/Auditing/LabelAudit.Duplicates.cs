using Transfer.Featurization;
using Transfer.Images;
using Transfer.Search;

namespace Transfer.Auditing;

/// <content>Near-duplicates: pairs of images with nearly the same centred, normalised features, or the same bytes.</content>
public static partial class LabelAudit
{
    private static List<NearDuplicate> FindDuplicates(FeatureMatrix features, IReadOnlyList<ImageEntry> images, float threshold, int perImage, CancellationToken cancellationToken)
    {
        var index = VectorIndex.Build(features, [.. images.Select(e => e.Name)]);
        var pairs = new Dictionary<(int, int), float>();
        foreach (var p in index.FindPairs(threshold, perImage, cancellationToken))
        {
            pairs[(p.First, p.Second)] = p.Score;
        }

        // Identical bytes: each copy paired with the first, whatever the features say (they are the same vector anyway).
        var identical = new HashSet<(int, int)>();
        var firstByHash = new Dictionary<ContentHash, int>();
        for (int i = 0; i < images.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ContentHash hash;
            try
            {
                hash = ContentHash.Compute(images[i].ReadBytes().Span);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone since it was featurized: its features were still compared
            }

            if (firstByHash.TryGetValue(hash, out int first))
            {
                identical.Add((first, i));
                pairs.TryAdd((first, i), 1f);
            }
            else
            {
                firstByHash[hash] = i;
            }
        }

        return [.. pairs
            .Select(p => new NearDuplicate(p.Key.Item1, p.Key.Item2, images[p.Key.Item1], images[p.Key.Item2], p.Value, features.Labels[p.Key.Item1] != features.Labels[p.Key.Item2], identical.Contains(p.Key)))
            .OrderByDescending(d => d.CrossClass)
            .ThenByDescending(d => d.Similarity)
            .ThenBy(d => d.First)
            .ThenBy(d => d.Second)];
    }
}
