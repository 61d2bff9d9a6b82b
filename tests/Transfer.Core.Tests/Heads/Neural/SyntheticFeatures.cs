using System.Globalization;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.Heads.Neural;

namespace Transfer.Core.Tests.Heads.Neural;

/// <summary>Seeded synthetic feature sets: Gaussian blobs around random class centres, with an offset and scale far from standardised.</summary>
internal static class SyntheticFeatures
{
    /// <summary>Trains <paramref name="head"/> the one way, through <see cref="NeuralHeadTrainer"/>, with class names "0", "1", ….</summary>
    public static TrainedNeuralHead TrainedOn(this NeuralHead head, FeatureMatrix train, FeatureMatrix? validation = null, IProgress<EpochMetrics>? progress = null, CancellationToken cancellationToken = default) =>
        new NeuralHeadTrainer(head, progress).Train(train, validation, [.. Enumerable.Range(0, train.ClassCount).Select(c => c.ToString(CultureInfo.InvariantCulture))], cancellationToken);

    public static FeatureMatrix Blobs(int count, int dimension, int classes, int seed, double spread = 1.0, double[]? classShares = null, int? noiseSeed = null)
    {
        var centres = new double[classes * dimension];
        var random = new Random(seed);
        for (int i = 0; i < centres.Length; i++)
        {
            centres[i] = random.NextDouble() * 4 - 2;
        }

        if (noiseSeed is int other)
        {
            random = new Random(other);
        }

        var values = new float[count * dimension];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = classShares is null ? n % classes : Pick(random, classShares);
            labels[n] = label;
            for (int k = 0; k < dimension; k++)
            {
                // Non-negative, shifted features like pooled ReLU activations.
                values[(n * dimension) + k] = (float)(5 + (3 * (centres[(label * dimension) + k] + (spread * Gaussian(random)))));
            }
        }

        return new FeatureMatrix(values, count, dimension, labels, classes);
    }

    /// <summary>Concentric rings: class = ring index; not linearly separable, so an MLP beats a softmax head.</summary>
    public static FeatureMatrix Rings(int count, int classes, int seed)
    {
        var random = new Random(seed);
        var values = new float[count * 2];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % classes;
            double radius = 1 + label + (0.15 * Gaussian(random));
            double angle = random.NextDouble() * 2 * Math.PI;
            values[2 * n] = (float)(radius * Math.Cos(angle));
            values[(2 * n) + 1] = (float)(radius * Math.Sin(angle));
            labels[n] = label;
        }

        return new FeatureMatrix(values, count, 2, labels, classes);
    }

    public static double Accuracy(TrainedNeuralHead head, FeatureMatrix data)
    {
        float[] probabilities = head.Predict(data);
        int correct = 0;
        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> row = probabilities.AsSpan(i * data.ClassCount, data.ClassCount);
            correct += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row) == data.Labels[i] ? 1 : 0;
        }

        return (double)correct / data.Count;
    }

    public static double CrossEntropy(TrainedNeuralHead head, FeatureMatrix data)
    {
        float[] probabilities = head.Predict(data);
        double sum = 0;
        for (int i = 0; i < data.Count; i++)
        {
            sum -= Math.Log(probabilities[(i * data.ClassCount) + data.Labels[i]]);
        }

        return sum / data.Count;
    }

    public static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static int Pick(Random random, double[] shares)
    {
        double u = random.NextDouble();
        for (int c = 0; c < shares.Length - 1; c++)
        {
            if (u < shares[c])
            {
                return c;
            }

            u -= shares[c];
        }

        return shares.Length - 1;
    }
}
