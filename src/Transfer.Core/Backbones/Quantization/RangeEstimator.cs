namespace Transfer.Backbones.Quantization;

/// <summary>Chooses an activation range from a histogram: percentiles, the KL-optimal clipping threshold, or the MSE-optimal range.</summary>
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

    /// <summary>
    /// The range of a histogram over [min, max] whose uint8 asymmetric quantization has the least expected squared error:
    /// rounding inside the range plus clipping outside it, each bin taken at its centre. Candidates shrink [min, max] by a
    /// common factor (for a range inside [0, ∞), the upper end alone), from the full range down to 1/<paramref name="steps"/> of it.
    /// </summary>
    public static (float Low, float High) MinimumSquaredError(long[] histogram, float min, float max, int steps = 512)
    {
        double lowEnd = Math.Min(0, min), highEnd = Math.Max(0, max);
        if (highEnd - lowEnd <= 0)
        {
            return (min, max);
        }

        double width = (max - (double)min) / histogram.Length;
        double bestError = double.PositiveInfinity, bestFactor = 1;
        for (int k = steps; k >= 1; k--)
        {
            double factor = k / (double)steps;
            double error = SquaredError(histogram, min, width, lowEnd * factor, highEnd * factor, bestError);
            if (error < bestError)
            {
                bestError = error;
                bestFactor = factor;
            }
        }

        return ((float)(lowEnd * bestFactor), (float)(highEnd * bestFactor));
    }

    /// <summary>The squared error of quantizing the histogram's bin centres to 256 levels over [low, high] (0 exact); stops early past <paramref name="limit"/>.</summary>
    internal static double SquaredError(long[] histogram, double min, double width, double low, double high, double limit = double.PositiveInfinity)
    {
        var p = QuantizationParameters.FromRange((float)low, (float)high);
        double scale = p.Scale, zero = p.ZeroPoint, error = 0;
        for (int b = 0; b < histogram.Length && error < limit; b++)
        {
            if (histogram[b] == 0)
            {
                continue;
            }

            double x = min + ((b + 0.5) * width);
            double q = Math.Clamp(Math.Round(x / scale) + zero, 0, 255);
            double d = x - ((q - zero) * scale);
            error += histogram[b] * d * d;
        }

        return error;
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
