using Transfer.Images;

namespace Transfer.Auditing;

/// <content>Ranking the images by how likely their given label is wrong, from out-of-fold probabilities.</content>
public static partial class LabelAudit
{
    /// <summary>
    /// The suspects — images another class is more probable for, or that confident learning counts as label issues —
    /// by self-confidence (lowest probability of the given label first), and the out-of-fold accuracy. Confident learning's per-class threshold is the
    /// mean probability a class's own images get for it; an image is a label issue when a class other than its own reaches
    /// that class's threshold and is the most probable of those that do.
    /// </summary>
    internal static (List<SuspectLabel> Suspects, double Accuracy) RankSuspects(IReadOnlyList<float> probabilities, int[] labels, int count, IReadOnlyList<ImageEntry> images, IReadOnlyList<string> classes)
    {
        int c = classes.Count;
        var thresholds = new double[c];
        var perClass = new int[c];
        for (int i = 0; i < count; i++)
        {
            thresholds[labels[i]] += probabilities[(i * c) + labels[i]];
            perClass[labels[i]]++;
        }

        for (int k = 0; k < c; k++)
        {
            // A class without images has no threshold: nothing is counted as belonging to it.
            thresholds[k] = perClass[k] == 0 ? double.PositiveInfinity : thresholds[k] / perClass[k];
        }

        var suspects = new List<SuspectLabel>();
        int agree = 0;
        for (int i = 0; i < count; i++)
        {
            int given = labels[i];
            int other = -1, confident = -1;
            for (int k = 0; k < c; k++)
            {
                float p = probabilities[(i * c) + k];
                if (k != given && (other < 0 || p > probabilities[(i * c) + other]))
                {
                    other = k;
                }

                if (p >= thresholds[k] && (confident < 0 || p > probabilities[(i * c) + confident]))
                {
                    confident = k;
                }
            }

            float pGiven = probabilities[(i * c) + given], pOther = probabilities[(i * c) + other];
            bool issue = confident >= 0 && confident != given;
            if (pGiven >= pOther)
            {
                agree++;
            }

            if (pOther > pGiven || issue)
            {
                suspects.Add(new SuspectLabel(i, images[i], classes[given], classes[other], 1 - pGiven, pGiven, pOther, issue));
            }
        }

        suspects.Sort((a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        return (suspects, (double)agree / count);
    }
}
