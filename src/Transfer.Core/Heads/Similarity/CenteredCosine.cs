using System.Numerics.Tensors;
using Transfer.Featurization;

namespace Transfer.Heads.Similarity;

/// <summary>
/// The representation space the similarity heads work in (SimpleShot, Wang et al. 2019): each feature vector minus the
/// training mean, scaled to unit length, so that a dot product is a cosine similarity around the data's centre.
/// </summary>
internal static class CenteredCosine
{
    /// <summary>The smallest length a centred vector is divided by (a vector at the centre stays near zero and matches nothing).</summary>
    public const float Epsilon = 1e-12f;

    /// <summary>The mean feature vector of the rows.</summary>
    public static float[] Mean(FeatureMatrix features) => Search.VectorIndex.Mean(features);

    /// <summary>Centres, optionally whitens, and normalises <paramref name="count"/> rows of <paramref name="values"/> into a new array.</summary>
    public static float[] Normalize(ReadOnlySpan<float> values, int count, int dimension, ReadOnlySpan<float> mean, Whitening? whitening = null)
    {
        var result = new float[count * dimension];
        for (int i = 0; i < count; i++)
        {
            var row = result.AsSpan(i * dimension, dimension);
            TensorPrimitives.Subtract(values.Slice(i * dimension, dimension), mean, row);
            whitening?.Apply(row);
            float norm = TensorPrimitives.Norm(row);
            TensorPrimitives.Divide(row, Math.Max(norm, Epsilon), row);
        }

        return result;
    }

    /// <summary>Scales a vector to unit length in place (zero stays zero).</summary>
    public static void ToUnitLength(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Divide(vector, Math.Max(norm, Epsilon), vector);
    }

    /// <summary>
    /// The temperature in [<paramref name="low"/>, <paramref name="high"/>] that minimises <paramref name="logLoss"/>,
    /// by golden-section search on its logarithm (the log-loss of scaled cosine scores is unimodal in the scale).
    /// </summary>
    public static float Calibrate(Func<float, double> logLoss, float low = 1f, float high = 1000f)
    {
        double a = Math.Log(low), b = Math.Log(high);
        double phi = (Math.Sqrt(5) - 1) / 2;
        double c = b - (phi * (b - a)), d = a + (phi * (b - a));
        double fc = logLoss((float)Math.Exp(c)), fd = logLoss((float)Math.Exp(d));
        for (int i = 0; i < 40 && b - a > 1e-3; i++)
        {
            if (fc <= fd)
            {
                (b, d, fd) = (d, c, fc);
                c = b - (phi * (b - a));
                fc = logLoss((float)Math.Exp(c));
            }
            else
            {
                (a, c, fc) = (c, d, fd);
                d = a + (phi * (b - a));
                fd = logLoss((float)Math.Exp(d));
            }
        }

        return (float)Math.Exp((a + b) / 2);
    }
}
