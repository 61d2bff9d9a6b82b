namespace Transfer.Heads.Similarity;

/// <summary>The top-k selection and the weighted vote of the k-nearest-neighbour head (the same arithmetic as its ONNX graph).</summary>
internal static class NearestNeighbors
{
    /// <summary>The <paramref name="k"/> largest scores, largest first (ties: lower index first), and their indices.</summary>
    public static void Top(ReadOnlySpan<float> scores, Span<float> values, out int[] indices, int k)
    {
        indices = new int[k];
        int filled = 0;
        for (int j = 0; j < scores.Length; j++)
        {
            float s = scores[j];
            if (filled == k && !(s > values[k - 1]))
            {
                continue;
            }

            int at = filled < k ? filled++ : k - 1;
            while (at > 0 && s > values[at - 1])
            {
                values[at] = values[at - 1];
                indices[at] = indices[at - 1];
                at--;
            }

            values[at] = s;
            indices[at] = j;
        }
    }

    /// <summary>
    /// Class probabilities from the neighbours' similarities (largest first) and labels: each votes
    /// <c>exp(temperature × (s − s_max))</c> for its class, every class gets <paramref name="smoothing"/> more, and the
    /// votes are normalised.
    /// </summary>
    public static void Vote(ReadOnlySpan<float> similarities, ReadOnlySpan<int> labels, float temperature, float smoothing, Span<double> probabilities)
    {
        probabilities.Fill(smoothing);
        float max = similarities[0];
        for (int m = 0; m < similarities.Length; m++)
        {
            probabilities[labels[m]] += Math.Exp(temperature * (similarities[m] - max));
        }

        double total = 0;
        foreach (double v in probabilities)
        {
            total += v;
        }

        for (int k = 0; k < probabilities.Length; k++)
        {
            probabilities[k] /= total;
        }
    }
}
