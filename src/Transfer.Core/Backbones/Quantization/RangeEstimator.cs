namespace Transfer.Backbones.Quantization;

/// <summary>Chooses an activation range from a histogram: percentiles, or the KL-optimal clipping threshold.</summary>
internal static class RangeEstimator
{
    /// <summary>The value range between two percentiles of a histogram over [min, max].</summary>
    public static (float Low, float High) Percentile(long[] histogram, float min, float max, double lowerPercent, double upperPercent)
    {
        long total = 0;
        foreach (long c in histogram)
        {
            total += c;
        }

        if (total == 0 || max <= min)
        {
            return (min, max);
        }

        double width = (max - (double)min) / histogram.Length;
        double lowTarget = total * lowerPercent / 100.0;
        double highTarget = total * (100.0 - upperPercent) / 100.0;
        long cumulative = 0;
        int lowBin = 0;
        for (; lowBin < histogram.Length - 1; lowBin++)
        {
            cumulative += histogram[lowBin];
            if (cumulative > lowTarget)
            {
                break;
            }
        }

        cumulative = 0;
        int highBin = histogram.Length - 1;
        for (; highBin > 0; highBin--)
        {
            cumulative += histogram[highBin];
            if (cumulative > highTarget)
            {
                break;
            }
        }

        float low = lowerPercent <= 0 ? min : (float)(min + (lowBin * width));
        float high = upperPercent >= 100 ? max : (float)(min + ((highBin + 1) * width));
        return (low, Math.Max(low, high));
    }

    /// <summary>
    /// TensorRT's entropy calibration on a histogram of |x| over [0, absMax]: the threshold whose clipped and
    /// <paramref name="quantizedBins"/>-level quantized distribution is closest (KL divergence) to the clipped reference.
    /// </summary>
    public static float EntropyThreshold(long[] histogram, float absMax, int quantizedBins)
    {
        int bins = histogram.Length;
        if (absMax <= 0 || bins <= quantizedBins)
        {
            return absMax;
        }

        double bestDivergence = double.PositiveInfinity;
        int bestBin = bins;
        var p = new double[bins];
        var q = new double[bins];
        // Step 4 bins at a time: the divergence curve is smooth and this keeps calibration well under a second per tensor.
        for (int i = quantizedBins; i <= bins; i += 4)
        {
            long tail = 0;
            for (int k = i; k < bins; k++)
            {
                tail += histogram[k];
            }

            for (int k = 0; k < i; k++)
            {
                p[k] = histogram[k];
            }

            p[i - 1] += tail;
            Array.Clear(q, 0, i);
            double binsPerLevel = i / (double)quantizedBins;
            for (int level = 0; level < quantizedBins; level++)
            {
                int start = (int)(level * binsPerLevel);
                int end = level == quantizedBins - 1 ? i : (int)((level + 1) * binsPerLevel);
                double sum = 0;
                int nonZero = 0;
                for (int k = start; k < end; k++)
                {
                    sum += histogram[k];
                    if (histogram[k] != 0)
                    {
                        nonZero++;
                    }
                }

                if (nonZero == 0)
                {
                    continue;
                }

                double share = sum / nonZero;
                for (int k = start; k < end; k++)
                {
                    q[k] = histogram[k] != 0 ? share : 0;
                }
            }

            double divergence = Divergence(p.AsSpan(0, i), q.AsSpan(0, i));
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                bestBin = i;
            }
        }

        return (float)(absMax * bestBin / bins);
    }

    private static double Divergence(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double pSum = 0, qSum = 0;
        for (int k = 0; k < p.Length; k++)
        {
            pSum += p[k];
            qSum += q[k];
        }

        if (pSum == 0 || qSum == 0)
        {
            return double.PositiveInfinity;
        }

        // Bins where p > 0 but q = 0 get a small epsilon (the usual smoothing) instead of an infinite divergence.
        const double Epsilon = 1e-4;
        double kl = 0;
        for (int k = 0; k < p.Length; k++)
        {
            if (p[k] <= 0)
            {
                continue;
            }

            double pk = p[k] / pSum;
            double qk = q[k] > 0 ? q[k] / qSum : Epsilon / qSum;
            kl += pk * Math.Log(pk / qk);
        }

        return kl;
    }
}
