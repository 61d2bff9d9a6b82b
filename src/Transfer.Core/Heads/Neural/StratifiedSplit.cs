using Transfer.Featurization;

namespace Transfer.Heads.Neural;

/// <summary>A seeded split holding out a fraction of each class, rows kept in their original order.</summary>
internal static class StratifiedSplit
{
    public static (FeatureMatrix Train, FeatureMatrix Validation) Split(FeatureMatrix data, double fraction, int seed)
    {
        var byClass = new List<int>[data.ClassCount];
        for (int c = 0; c < byClass.Length; c++)
        {
            byClass[c] = [];
        }

        for (int i = 0; i < data.Count; i++)
        {
            byClass[data.Labels[i]].Add(i);
        }

        var heldOut = new bool[data.Count];
        var random = SplitMix64.ForStream(seed, 0x5711);
        foreach (List<int> rows in byClass)
        {
            int take = (int)Math.Round(rows.Count * fraction, MidpointRounding.AwayFromZero);

            // Keep at least one row of every class for training.
            take = Math.Min(take, rows.Count - 1);
            int[] shuffled = [.. rows];
            random.Shuffle(shuffled);
            for (int i = 0; i < take; i++)
            {
                heldOut[shuffled[i]] = true;
            }
        }

        var trainRows = new List<int>();
        var validationRows = new List<int>();
        for (int i = 0; i < data.Count; i++)
        {
            (heldOut[i] ? validationRows : trainRows).Add(i);
        }

        return (data.Select(trainRows), data.Select(validationRows));
    }
}
