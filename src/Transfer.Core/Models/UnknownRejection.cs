using System.Globalization;
using Transfer.Evaluation;

namespace Transfer.Models;

/// <summary>
/// Chooses the threshold for answering "unknown" (<see cref="UnknownThreshold"/>) from held-out predictions: the highest
/// class probability of each held-out image of a known class, and the threshold below which a stated fraction of them
/// falls. Measured on the flower photos (4 classes known, the fifth unseen) against the centred cosine to the nearest
/// class mean, the nearest training image, the largest logit and a shrunk Mahalanobis distance: none rejected more of
/// the unseen class at the same false-rejection rate, so the simplest is stored (docs/HEADS.md has the figures).
/// </summary>
public static class UnknownRejection
{
    /// <summary>The default false-rejection rate: the fraction of known-class images answered "unknown".</summary>
    public const double DefaultFalseRejectionRate = 0.05;

    /// <summary>Chooses the threshold on held-out predictions.</summary>
    /// <param name="heldOut">Predictions of held-out images of the known classes (out-of-fold probabilities, or a test set's).</param>
    /// <param name="falseRejectionRate">The fraction of them to reject, in [0, 1).</param>
    /// <param name="source">Where the predictions came from (<see cref="AccuracyEstimate.CrossValidated"/>, <see cref="AccuracyEstimate.Holdout"/> or <see cref="AccuracyEstimate.Test"/>).</param>
    /// <returns>The threshold with its measured rate and trade-off curve.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1).</exception>
    /// <exception cref="ArgumentException">There are no held-out predictions.</exception>
    public static UnknownThreshold Choose(EvaluationResult heldOut, double falseRejectionRate = DefaultFalseRejectionRate, string source = AccuracyEstimate.CrossValidated)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        CheckRate(falseRejectionRate, nameof(falseRejectionRate));
        if (heldOut.Count == 0)
        {
            throw new ArgumentException("No held-out predictions to choose the unknown threshold on.", nameof(heldOut));
        }

        var (best, correct) = BestProbabilities(heldOut);
        var sorted = (float[])best.Clone();
        Array.Sort(sorted);

        // Images strictly below the threshold are rejected: the value at rank floor(rate × n) rejects at most that many.
        int rank = (int)Math.Floor(falseRejectionRate * sorted.Length);
        float threshold = falseRejectionRate == 0 ? 0f : sorted[Math.Min(rank, sorted.Length - 1)];
        var curve = new List<RejectionPoint>();
        for (int step = 1; step <= 20; step++)
        {
            float t = step / 20f;
            curve.Add(Point(best, correct, t));
        }

        return new UnknownThreshold
        {
            Threshold = threshold,
            FalseRejectionRate = falseRejectionRate,
            MeasuredFalseRejectionRate = Point(best, correct, threshold).FalseRejectionRate,
            HeldOutImages = best.Length,
            Source = source,
            Curve = curve,
        };
    }

    /// <summary>The mean probability held-out images got for their own class: the confidence an added class is calibrated to.</summary>
    /// <param name="heldOut">Held-out predictions.</param>
    /// <returns>The mean, in [0, 1].</returns>
    public static double MeanOwnClassProbability(EvaluationResult heldOut)
    {
        ArgumentNullException.ThrowIfNull(heldOut);
        int c = heldOut.Classes.Count;
        double sum = 0;
        for (int i = 0; i < heldOut.Count; i++)
        {
            sum += heldOut.Probabilities[(i * c) + heldOut.Labels[i]];
        }

        return heldOut.Count == 0 ? 0 : sum / heldOut.Count;
    }

    /// <summary>Checks a false-rejection rate.</summary>
    /// <param name="rate">The rate.</param>
    /// <param name="name">The parameter or option name for the message.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1).</exception>
    public static void CheckRate(double rate, string name)
    {
        if (!(rate is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(name, rate, string.Create(CultureInfo.InvariantCulture, $"The false-rejection rate ({name}) must be in [0, 1), was {rate}. Pass e.g. 0.05 to answer \"unknown\" for about 5 % of the known classes' images."));
        }
    }

    private static (float[] Best, bool[] Correct) BestProbabilities(EvaluationResult e)
    {
        int c = e.Classes.Count;
        var best = new float[e.Count];
        var correct = new bool[e.Count];
        for (int i = 0; i < e.Count; i++)
        {
            int arg = 0;
            for (int k = 1; k < c; k++)
            {
                if (e.Probabilities[(i * c) + k] > e.Probabilities[(i * c) + arg])
                {
                    arg = k;
                }
            }

            best[i] = e.Probabilities[(i * c) + arg];
            correct[i] = arg == e.Labels[i];
        }

        return (best, correct);
    }

    private static RejectionPoint Point(float[] best, bool[] correct, float threshold)
    {
        int rejected = 0, accepted = 0, right = 0;
        for (int i = 0; i < best.Length; i++)
        {
            if (best[i] < threshold)
            {
                rejected++;
            }
            else
            {
                accepted++;
                right += correct[i] ? 1 : 0;
            }
        }

        return new RejectionPoint(threshold, (double)rejected / best.Length, accepted == 0 ? 1 : (double)right / accepted);
    }
}
