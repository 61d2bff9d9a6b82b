namespace Transfer.Benchmarks;

/// <summary>Medians and percentiles of repeated measurements.</summary>
internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    /// <summary>Nearest-rank percentile (p in [0, 100]) of unsorted values.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        if (p >= 100)
        {
            return sorted[^1];
        }

        // The median of an even count is the mean of the two middle values; other percentiles take the nearest rank.
        if (p == 50 && sorted.Length % 2 == 0)
        {
            return (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static double Round(double value, int digits = 2) => double.IsFinite(value) ? Math.Round(value, digits) : double.NaN;
}
