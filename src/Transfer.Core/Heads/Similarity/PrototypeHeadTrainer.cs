using System.Numerics.Tensors;
using Transfer.Featurization;
using Transfer.Heads.Similarity;

namespace Transfer.Heads;

/// <summary>
/// The nearest-class-mean head for classes with a handful of images (SimpleShot: centred, L2-normalised features, one
/// prototype per class), with the centred features first whitened by the training images' covariance shrunk toward a
/// multiple of the identity (<see cref="PrototypeHeadOptions.Shrinkage"/>): each class is the normalised mean of its
/// training images in that space, and
/// an image's class probabilities are a softmax over its cosine similarity to each prototype times a temperature chosen
/// by leave-one-out log-loss on the training images. Nothing is optimised, so it trains in milliseconds and cannot
/// overfit a class of three images the way a fitted linear head can. Saved models score in plain ML.NET (the head runs
/// as an ONNX graph); a class can be added later from its images alone (<c>TransferModel.AddClass</c>).
/// </summary>
public sealed class PrototypeHeadTrainer : HeadTrainer
{
    /// <summary>The temperature used when no image can be left out (every class has a single image).</summary>
    public const float FallbackTemperature = 10f;

    /// <summary>Creates the trainer.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="Validation.OptionsValidationException">The options are invalid; every problem is listed.</exception>
    public PrototypeHeadTrainer(PrototypeHeadOptions? options = null)
    {
        Options = options ?? new PrototypeHeadOptions();
        Options.Validate();
    }

    /// <summary>Gets the options.</summary>
    public PrototypeHeadOptions Options { get; }

    /// <inheritdoc />
    public override string Name => "prototype";

    /// <inheritdoc />
    public override string Describe() => Options.Describe();

    /// <inheritdoc />
    public override TrainedHead Train(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, CancellationToken cancellationToken = default)
    {
        CheckTrainingData(train, classes);
        int n = train.Count, dim = train.Dimension, c = classes.Count;
        var mean = CenteredCosine.Mean(train);
        var centred = new float[n * dim];
        for (int i = 0; i < n; i++)
        {
            TensorPrimitives.Subtract(train.Row(i), mean, centred.AsSpan(i * dim, dim));
        }

        var whitening = Whitening.Fit(centred, n, dim, Options.Shrinkage);
        var z = CenteredCosine.Normalize(train.Values, n, dim, mean, whitening);
        var sums = new float[c * dim];
        var counts = new int[c];
        for (int i = 0; i < n; i++)
        {
            int y = train.Labels[i];
            counts[y]++;
            TensorPrimitives.Add(sums.AsSpan(y * dim, dim), z.AsSpan(i * dim, dim), sums.AsSpan(y * dim, dim));
        }

        cancellationToken.ThrowIfCancellationRequested();
        float temperature = Options.Temperature ?? Calibrate(z, train.Labels, counts, sums, n, dim, c);
        var prototypes = (float[])sums.Clone();
        for (int k = 0; k < c; k++)
        {
            CenteredCosine.ToUnitLength(prototypes.AsSpan(k * dim, dim));
        }

        return new TrainedPrototypeHead(mean, whitening, prototypes, counts, temperature, classes);
    }

    /// <summary>
    /// The temperature with the lowest leave-one-out log-loss: each image is scored against its own class's prototype
    /// made without it (images alone in their class are not scored).
    /// </summary>
    private static float Calibrate(float[] z, int[] labels, int[] counts, float[] sums, int n, int dim, int c)
    {
        // Cosine of each image to each class prototype, its own class's prototype leaving the image out.
        var rows = new List<int>();
        var cosines = new List<float>();
        var sumNorms = new float[c];
        for (int k = 0; k < c; k++)
        {
            sumNorms[k] = TensorPrimitives.Norm(sums.AsSpan(k * dim, dim));
        }

        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            if (counts[y] < 2)
            {
                continue;
            }

            var zi = z.AsSpan(i * dim, dim);
            rows.Add(y);
            for (int k = 0; k < c; k++)
            {
                float dot = TensorPrimitives.Dot(zi, sums.AsSpan(k * dim, dim));
                if (k == y)
                {
                    float self = TensorPrimitives.Dot(zi, zi);
                    double rest = Math.Sqrt(Math.Max(0, (double)(sumNorms[k] * sumNorms[k]) - (2 * dot) + self));
                    cosines.Add(rest > CenteredCosine.Epsilon ? (float)((dot - self) / rest) : 0f);
                }
                else
                {
                    cosines.Add(counts[k] == 0 ? float.NegativeInfinity : sumNorms[k] > CenteredCosine.Epsilon ? dot / sumNorms[k] : 0f);
                }
            }
        }

        if (rows.Count == 0)
        {
            return FallbackTemperature;
        }

        var cos = cosines.ToArray();
        return CenteredCosine.Calibrate(t =>
        {
            double loss = 0;
            Span<float> scores = stackalloc float[c];
            for (int r = 0; r < rows.Count; r++)
            {
                TensorPrimitives.Multiply(cos.AsSpan(r * c, c), t, scores);
                float max = TensorPrimitives.Max(scores);
                double total = 0;
                foreach (float s in scores)
                {
                    total += Math.Exp(s - max);
                }

                loss += Math.Log(total) - (scores[rows[r]] - max);
            }

            return loss / rows.Count;
        });
    }
}
