using System.Numerics.Tensors;
using Transfer.Featurization;
using Transfer.Heads.Similarity;

namespace Transfer.Heads;

/// <summary>
/// The cosine k-nearest-neighbour head (Teachable Machine's classifier over embeddings): it keeps every training image's
/// centred, normalised feature vector, and an image's class probabilities are the votes of its
/// <see cref="NearestNeighborHeadOptions.Neighbors"/> most similar training images, each weighted
/// <c>exp(temperature × cosine)</c>, plus a smoothing term; temperature and smoothing are chosen by leave-one-out
/// log-loss on (up to <see cref="CalibrationRows"/> of) the training images. The saved model holds the vectors (D floats
/// per training image) and scores in plain ML.NET (the search runs as an ONNX graph).
/// </summary>
public sealed class NearestNeighborHeadTrainer : HeadTrainer
{
    /// <summary>The most training images the leave-one-out calibration scores (evenly spread over the set).</summary>
    public const int CalibrationRows = 2_000;

    /// <summary>The smoothing weights tried (a class with no neighbour gets this much of a neighbour's vote).</summary>
    private static readonly float[] SmoothingGrid = [0.001f, 0.01f, 0.1f];

    /// <summary>Creates the trainer.</summary>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="Validation.OptionsValidationException">The options are invalid; every problem is listed.</exception>
    public NearestNeighborHeadTrainer(NearestNeighborHeadOptions? options = null)
    {
        Options = options ?? new NearestNeighborHeadOptions();
        Options.Validate();
    }

    /// <summary>Gets the options.</summary>
    public NearestNeighborHeadOptions Options { get; }

    /// <inheritdoc />
    public override string Name => "knn";

    /// <inheritdoc />
    public override string Describe() => Options.Describe();

    /// <inheritdoc />
    public override TrainedHead Train(FeatureMatrix train, FeatureMatrix? validation, IReadOnlyList<string> classes, CancellationToken cancellationToken = default)
    {
        CheckTrainingData(train, classes);
        int n = train.Count, dim = train.Dimension;
        var mean = CenteredCosine.Mean(train);
        var vectors = CenteredCosine.Normalize(train.Values, n, dim, mean);
        var labels = train.Labels.AsSpan(0, n).ToArray();
        int k = Math.Min(Options.Neighbors, n);
        var (temperature, smoothing) = Options.Temperature is { } fixedTemperature
            ? (fixedTemperature, SmoothingGrid[1])
            : Calibrate(vectors, labels, n, dim, classes.Count, Math.Min(k, n - 1), cancellationToken);
        return new TrainedNearestNeighborHead(mean, vectors, labels, k, temperature, smoothing, classes);
    }

    /// <summary>Temperature and smoothing with the lowest leave-one-out log-loss (each scored image's own vector excluded from its neighbours).</summary>
    private static (float Temperature, float Smoothing) Calibrate(float[] vectors, int[] labels, int n, int dim, int c, int k, CancellationToken ct)
    {
        if (k < 1)
        {
            return (PrototypeHeadTrainer.FallbackTemperature, SmoothingGrid[1]);
        }

        int rows = Math.Min(n, CalibrationRows);
        var similarities = new float[rows * k];
        var neighborLabels = new int[rows * k];
        var queryLabels = new int[rows];
        Parallel.For(0, rows, new ParallelOptions { CancellationToken = ct }, r =>
        {
            int i = (int)((long)r * n / rows);
            queryLabels[r] = labels[i];
            var scores = new float[n];
            for (int j = 0; j < n; j++)
            {
                scores[j] = j == i ? float.NegativeInfinity : TensorPrimitives.Dot(vectors.AsSpan(i * dim, dim), vectors.AsSpan(j * dim, dim));
            }

            NearestNeighbors.Top(scores, similarities.AsSpan(r * k, k), out var indices, k);
            for (int m = 0; m < k; m++)
            {
                neighborLabels[(r * k) + m] = labels[indices[m]];
            }
        });

        double best = double.PositiveInfinity;
        (float, float) chosen = (PrototypeHeadTrainer.FallbackTemperature, SmoothingGrid[1]);
        foreach (float alpha in SmoothingGrid)
        {
            double LogLoss(float t)
            {
                double loss = 0;
                var votes = new double[c];
                for (int r = 0; r < rows; r++)
                {
                    NearestNeighbors.Vote(similarities.AsSpan(r * k, k), neighborLabels.AsSpan(r * k, k), t, alpha, votes);
                    loss -= Math.Log(votes[queryLabels[r]]);
                }

                return loss / rows;
            }

            float temperature = CenteredCosine.Calibrate(LogLoss);
            double value = LogLoss(temperature);
            if (value < best)
            {
                (best, chosen) = (value, (temperature, alpha));
            }
        }

        return chosen;
    }
}
