using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Transfer.Featurization;

namespace Transfer.Heads.MaximumEntropy;

/// <summary>
/// Adds a class to a maximum-entropy head (<c>softmax(W·x + b)</c>) from the new class's images alone (weight
/// imprinting, Qi et al. 2018, made to fit a linear head): the new weight row points from the training images' mean
/// to the new images' mean, as long as the existing rows are on average, and its bias is the one at which the new
/// images get, on average, the probability held-out images got for their own class. The other rows are kept, so an
/// image keeps its class unless the new one outscores it. Measured on the flower photos against the bias that equals the
/// logits at the class means and against fixed target probabilities (docs/HEADS.md).
/// </summary>
internal static class MaximumEntropyImprint
{
    /// <summary>The confidence the new class is calibrated to when the model records no held-out figure.</summary>
    public const double DefaultTargetProbability = 0.85;

    /// <summary>The weights and biases of a maximum-entropy scoring chain, or <see langword="null"/> when the transformer is another head's.</summary>
    public static (float[] Weights, float[] Bias)? Parameters(ITransformer scoring, int classes, int features)
    {
        if (scoring is not TransformerChain<ITransformer> chain || chain.FirstOrDefault() is not MulticlassPredictionTransformer<MaximumEntropyModelParameters> prediction)
        {
            return null;
        }

        VBuffer<float>[] rows = [];
        prediction.Model.GetWeights(ref rows, out int count);
        var bias = prediction.Model.GetBiases().ToArray();
        if (count != classes || bias.Length != classes || rows.Length != classes || rows.Any(r => r.Length != features))
        {
            return null;
        }

        var weights = new float[classes * features];
        for (int k = 0; k < classes; k++)
        {
            rows[k].CopyTo(weights.AsSpan(k * features, features));
        }

        return (weights, bias);
    }

    /// <summary>The head with the new class's row appended.</summary>
    /// <exception cref="ArgumentException">The new images' mean is the training mean (no direction to imprint).</exception>
    public static TrainedHead WithClass(TrainedHead head, float[] weights, float[] bias, string label, FeatureMatrix images, ReadOnlySpan<float> trainingMean, IReadOnlyList<IReadOnlyList<float>>? classMeans, double targetProbability)
    {
        int d = head.FeatureLength, c = head.Classes.Count;
        var mean = new float[d];
        for (int i = 0; i < images.Count; i++)
        {
            TensorPrimitives.Add(mean, images.Values.AsSpan(i * d, d), mean);
        }

        TensorPrimitives.Divide(mean, images.Count, mean);
        var row = new float[d];
        TensorPrimitives.Subtract(mean, trainingMean, row);
        float length = TensorPrimitives.Norm(row);
        if (!(length > 1e-6f))
        {
            throw new ArgumentException($"The images of class \"{label}\" average to the training images' mean feature vector: there is no direction to imprint. Add images that show the class.", nameof(images));
        }

        double scale = 0;
        for (int k = 0; k < c; k++)
        {
            scale += TensorPrimitives.Norm(weights.AsSpan(k * d, d));
        }

        TensorPrimitives.Multiply(row, (float)(scale / c / length), row);
        float newBias = Math.Min(CalibrateBias(weights, bias, row, images, targetProbability), MidpointCap(weights, bias, row, mean, classMeans));
        var ml = new MLContext(0);
        string[] classes = [.. head.Classes, label];
        var chain = MaximumEntropyTransformer.Create(ml, FeatureDataView.FeaturesColumn, [.. weights, .. row], [.. bias, newBias], d, classes);
        return new TransformerHead(ml, chain, classes, d, head.TrainerName);
    }

    /// <summary>
    /// The largest bias at which every old class still wins halfway between its mean and the new class's: the new class
    /// may take the images nearer to it, not the old classes' own (no cap when the model records no class means).
    /// </summary>
    private static float MidpointCap(float[] weights, float[] bias, float[] row, float[] newMean, IReadOnlyList<IReadOnlyList<float>>? classMeans)
    {
        int d = row.Length, c = bias.Length;
        if (classMeans is null || classMeans.Count != c || classMeans.Any(m => m.Count != d))
        {
            return float.PositiveInfinity;
        }

        float cap = float.PositiveInfinity;
        var middle = new float[d];
        for (int k = 0; k < c; k++)
        {
            TensorPrimitives.Add(newMean, [.. classMeans[k]], middle);
            TensorPrimitives.Multiply(middle, 0.5f, middle);
            cap = Math.Min(cap, TensorPrimitives.Dot(weights.AsSpan(k * d, d), middle) + bias[k] - TensorPrimitives.Dot(row, middle));
        }

        return cap;
    }

    /// <summary>The bias at which the new images' mean probability of the new class is <paramref name="target"/> (bisection: it rises with the bias).</summary>
    private static float CalibrateBias(float[] weights, float[] bias, float[] row, FeatureMatrix images, double target)
    {
        int d = row.Length, c = bias.Length, n = images.Count;

        // Each image's old logits' log-sum-exp and its new-class score without bias: p_new(b) = 1 / (1 + exp(lse − s − b)).
        var gap = new double[n];
        var logits = new float[c];
        for (int i = 0; i < n; i++)
        {
            var x = images.Values.AsSpan(i * d, d);
            for (int k = 0; k < c; k++)
            {
                logits[k] = TensorPrimitives.Dot(weights.AsSpan(k * d, d), x) + bias[k];
            }

            float max = TensorPrimitives.Max(logits);
            double sum = 0;
            foreach (float l in logits)
            {
                sum += Math.Exp(l - max);
            }

            gap[i] = max + Math.Log(sum) - TensorPrimitives.Dot(row, x);
        }

        double low = gap.Min() - 50, high = gap.Max() + 50;
        for (int step = 0; step < 100 && high - low > 1e-6; step++)
        {
            double b = (low + high) / 2;
            double p = 0;
            foreach (double g in gap)
            {
                p += 1 / (1 + Math.Exp(g - b));
            }

            (low, high) = p / n < target ? (b, high) : (low, b);
        }

        return (float)((low + high) / 2);
    }
}
