using System.Numerics.Tensors;
using Transfer.Featurization;

namespace Transfer.Heads.Neural;

/// <summary>
/// The state of one training run: network, optimizer, buffers, feature standardisation and the epoch's row order.
/// Shared by <see cref="NeuralHead.Train"/> and <see cref="LearningRateFinder"/>.
/// </summary>
internal sealed class TrainingSession
{
    private const int EvaluationBatch = 256;

    private readonly NeuralHeadOptions options;
    private readonly FeatureMatrix train;
    private readonly float[]? classWeights;
    private readonly NetworkWorkspace workspace;
    private readonly ParameterOptimizer optimizer;
    private readonly float[]? mean;
    private readonly float[]? inverseDeviation;
    private readonly int[] order;
    private readonly int[] batchLabels;
    private readonly float[] batchWeights;
    private readonly ulong dropoutSeed;

    public TrainingSession(int[] sizes, NeuralHeadOptions options, FeatureMatrix train, float[]? classWeights)
    {
        this.options = options;
        this.train = train;
        this.classWeights = classWeights;
        Network = new DenseNetwork(sizes);
        Network.InitializeGlorotUniform(options.Seed);
        int capacity = Math.Max(options.BatchSize, EvaluationBatch);
        workspace = new NetworkWorkspace(Network, capacity, options.MaxDegreeOfParallelism ?? Environment.ProcessorCount);
        optimizer = new ParameterOptimizer(Network, options);
        if (options.StandardizeFeatures)
        {
            (mean, inverseDeviation) = Standardization(train);
        }

        order = new int[train.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        batchLabels = new int[capacity];
        batchWeights = new float[capacity];
        dropoutSeed = SplitMix64.ForStream(options.Seed, 0xD509).NextUInt64();
    }

    public DenseNetwork Network { get; }

    public int StepsPerEpoch => (train.Count + options.BatchSize - 1) / options.BatchSize;

    /// <summary>Draws the row order of an epoch (seeded by seed and epoch, so it does not depend on earlier epochs).</summary>
    public void Shuffle(int epoch)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        SplitMix64.ForStream(options.Seed, 0x5A0F_0000UL + (ulong)epoch).Shuffle(order);
    }

    /// <summary>Trains on batch <paramref name="batchIndex"/> of the current order; returns the objective, summed true cross-entropy, correct rows and rows.</summary>
    public (double Objective, double CrossEntropy, int Correct, int Rows) TrainBatch(int batchIndex, long step, double learningRate)
    {
        int start = batchIndex * options.BatchSize;
        int rows = Math.Min(options.BatchSize, train.Count - start);
        Span<float> input = workspace.Input(rows);
        int dimension = train.Dimension;
        for (int b = 0; b < rows; b++)
        {
            int row = order[start + b];
            FillRow(train.Row(row), input.Slice(b * dimension, dimension));
            batchLabels[b] = train.Labels[row];
            batchWeights[b] = classWeights is null ? 1f : classWeights[train.Labels[row]];
        }

        (double objective, double crossEntropy, int correct) = workspace.ForwardBackward(
            rows,
            batchLabels.AsMemory(0, rows),
            batchWeights.AsMemory(0, rows),
            (float)options.LabelSmoothing,
            (float)options.Dropout,
            SplitMix64.Hash(dropoutSeed ^ (ulong)step));
        optimizer.Step(workspace.Gradient, learningRate);
        return (objective, crossEntropy, correct, rows);
    }

    /// <summary>Returns the mean cross-entropy and the accuracy of the current weights on <paramref name="data"/> (no dropout).</summary>
    public (double CrossEntropy, double Accuracy) Evaluate(FeatureMatrix data)
    {
        double crossEntropy = 0;
        long correct = 0;
        int dimension = data.Dimension;
        for (int start = 0; start < data.Count; start += EvaluationBatch)
        {
            int rows = Math.Min(EvaluationBatch, data.Count - start);
            Span<float> input = workspace.Input(rows);
            for (int b = 0; b < rows; b++)
            {
                FillRow(data.Row(start + b), input.Slice(b * dimension, dimension));
                batchLabels[b] = data.Labels[start + b];
            }

            (double batchLoss, int batchCorrect) = workspace.Forward(rows, batchLabels.AsMemory(0, rows), 0f, 0);
            crossEntropy += batchLoss;
            correct += batchCorrect;
        }

        return data.Count == 0 ? (double.NaN, double.NaN) : (crossEntropy / data.Count, (double)correct / data.Count);
    }

    /// <summary>Returns the parameters with the standardisation folded into the first layer: W' = W / σ, b' = b − W' μ.</summary>
    public float[] FoldedParameters(float[] parameters)
    {
        var folded = (float[])parameters.Clone();
        if (mean is null || inverseDeviation is null)
        {
            return folded;
        }

        var network = new DenseNetwork(Network.Sizes, folded);
        int inputs = Network.Sizes[0];
        Span<float> weights = network.Weights(0);
        Span<float> biases = network.Biases(0);
        for (int j = 0; j < biases.Length; j++)
        {
            Span<float> row = weights.Slice(j * inputs, inputs);
            TensorPrimitives.Multiply(row, inverseDeviation, row);
            double shift = 0;
            for (int k = 0; k < inputs; k++)
            {
                shift += (double)row[k] * mean[k];
            }

            biases[j] = (float)(biases[j] - shift);
        }

        return folded;
    }

    private void FillRow(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (mean is null || inverseDeviation is null)
        {
            source.CopyTo(destination);
            return;
        }

        TensorPrimitives.Subtract(source, mean, destination);
        TensorPrimitives.Multiply(destination, inverseDeviation, destination);
    }

    private static (float[] Mean, float[] InverseDeviation) Standardization(FeatureMatrix data)
    {
        int dimension = data.Dimension;
        var sum = new double[dimension];
        var sumSquares = new double[dimension];
        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> row = data.Row(i);
            for (int k = 0; k < dimension; k++)
            {
                double x = row[k];
                sum[k] += x;
                sumSquares[k] += x * x;
            }
        }

        var mean = new float[dimension];
        var inverse = new float[dimension];
        for (int k = 0; k < dimension; k++)
        {
            double m = data.Count == 0 ? 0 : sum[k] / data.Count;
            double variance = data.Count == 0 ? 0 : Math.Max(0, (sumSquares[k] / data.Count) - (m * m));
            mean[k] = (float)m;

            // A constant feature is 0 after centring whatever the scale; 1 keeps it out of the way.
            inverse[k] = variance > 1e-12 ? (float)(1 / Math.Sqrt(variance)) : 1f;
        }

        return (mean, inverse);
    }
}
