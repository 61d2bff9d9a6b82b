using System.Numerics.Tensors;

namespace Transfer.Heads.Neural;

/// <summary>
/// Preallocated buffers for forward and backward passes over mini-batches of up to <see cref="Capacity"/> rows, so
/// training allocates nothing per sample. Rows are independent in the forward pass and output units are independent
/// in the weight gradient, so both are spread over threads without changing any result.
/// </summary>
internal sealed class NetworkWorkspace
{
    private readonly DenseNetwork network;
    private readonly float[][] activations;
    private readonly float[][] deltas;
    private readonly float[][] dropScales;
    private readonly double[] rowLoss;
    private readonly double[] rowTrueLoss;
    private readonly bool[] rowCorrect;
    private readonly int maxThreads;

    private int batch;
    private bool training;
    private float keep;
    private ulong dropoutKey;
    private ReadOnlyMemory<int> labels;
    private ReadOnlyMemory<float> sampleWeights;
    private float smoothing;

    public NetworkWorkspace(DenseNetwork network, int capacity, int maxThreads)
    {
        this.network = network;
        this.maxThreads = maxThreads;
        Capacity = capacity;
        int[] sizes = network.Sizes;
        activations = new float[sizes.Length][];
        deltas = new float[sizes.Length][];
        dropScales = new float[sizes.Length - 1][];
        for (int l = 0; l < sizes.Length; l++)
        {
            activations[l] = new float[capacity * sizes[l]];
            deltas[l] = l == 0 ? [] : new float[capacity * sizes[l]];
            if (l < sizes.Length - 1)
            {
                dropScales[l] = new float[capacity * sizes[l]];
            }
        }

        Gradient = new float[network.Parameters.Length];
        rowLoss = new double[capacity];
        rowTrueLoss = new double[capacity];
        rowCorrect = new bool[capacity];
    }

    public int Capacity { get; }

    /// <summary>Gets the gradient of the last <see cref="ForwardBackward"/> call's objective.</summary>
    public float[] Gradient { get; }

    /// <summary>Gets the input rows of the batch (row-major, <c>Sizes[0]</c> wide); fill before a pass.</summary>
    public Span<float> Input(int rows) => activations[0].AsSpan(0, rows * network.Sizes[0]);

    /// <summary>Gets the class probabilities of the last pass.</summary>
    public ReadOnlySpan<float> Probabilities(int rows) => activations[^1].AsSpan(0, rows * network.Sizes[^1]);

    /// <summary>
    /// Runs the forward pass on the first <paramref name="rows"/> rows of <see cref="Input"/> and accumulates metrics.
    /// When <paramref name="dropout"/> is positive, inputs of every layer are dropped with a mask drawn by counter from
    /// <paramref name="dropoutKey"/>. Returns the summed true cross-entropy and the number of correct rows.
    /// </summary>
    public (double CrossEntropy, int Correct) Forward(int rows, ReadOnlyMemory<int> rowLabels, float dropout, ulong dropoutKey)
    {
        batch = rows;
        training = dropout > 0;
        keep = 1f - dropout;
        this.dropoutKey = dropoutKey;
        labels = rowLabels;
        sampleWeights = default;
        smoothing = 0;
        computeDelta = false;
        RunForward();
        return Summarize(rows);
    }

    /// <summary>
    /// Runs forward and backward passes and leaves the gradient of the objective
    /// <c>(1 / rows) Σ weight(row) × smoothed cross-entropy(row)</c> in <see cref="Gradient"/>.
    /// Returns the objective, the summed true cross-entropy and the number of correct rows.
    /// </summary>
    public (double Objective, double CrossEntropy, int Correct) ForwardBackward(
        int rows, ReadOnlyMemory<int> rowLabels, ReadOnlyMemory<float> rowWeights, float labelSmoothing, float dropout, ulong dropoutKey)
    {
        batch = rows;
        training = dropout > 0;
        keep = 1f - dropout;
        this.dropoutKey = dropoutKey;
        labels = rowLabels;
        sampleWeights = rowWeights;
        smoothing = labelSmoothing;
        computeDelta = true;
        RunForward();

        double objective = 0;
        for (int b = 0; b < rows; b++)
        {
            objective += rowLoss[b];
        }

        objective /= rows;
        for (int l = network.LayerCount - 1; l >= 0; l--)
        {
            int outputs = network.Sizes[l + 1];
            int inputs = network.Sizes[l];
            currentLayer = l;
            ParallelRows.For((outputs + 3) / 4, 4L * rows * inputs, maxThreads, this, static (self, start, end) => self.WeightGradient(4 * start, Math.Min(self.network.Sizes[self.currentLayer + 1], 4 * end)));
            if (l > 0)
            {
                ParallelRows.For(rows, (long)outputs * inputs, maxThreads, this, static (self, start, end) => self.InputDelta(start, end));
            }
        }

        (double crossEntropy, int correct) = Summarize(rows);
        return (objective, crossEntropy, correct);
    }

    private int currentLayer;
    private bool computeDelta;

    private void RunForward()
    {
        for (int l = 0; l < network.LayerCount; l++)
        {
            currentLayer = l;
            ParallelRows.For((batch + 3) / 4, 4L * network.Sizes[l] * network.Sizes[l + 1], maxThreads, this, static (self, start, end) => self.LayerForward(4 * start, Math.Min(self.batch, 4 * end)));
        }
    }

    /// <summary>Layer <see cref="currentLayer"/> for rows [start, end): dropout on its inputs, the dense product, then ReLU, or softmax and loss after the last layer.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void LayerForward(int start, int end)
    {
        int l = currentLayer;
        int inputs = network.Sizes[l];
        int outputs = network.Sizes[l + 1];
        if (training)
        {
            for (int b = start; b < end; b++)
            {
                ApplyDropout(activations[l].AsSpan(b * inputs, inputs), dropScales[l].AsSpan(b * inputs, inputs), l, b);
            }
        }

        DenseKernels.Forward(activations[l], network.Weights(l), network.Biases(l), activations[l + 1], inputs, outputs, start, end);
        if (l < network.LayerCount - 1)
        {
            Span<float> output = activations[l + 1].AsSpan(start * outputs, (end - start) * outputs);
            TensorPrimitives.Max(output, 0f, output);
        }
        else
        {
            Loss(start, end);
        }
    }

    private (double CrossEntropy, int Correct) Summarize(int rows)
    {
        double crossEntropy = 0;
        int correct = 0;
        for (int b = 0; b < rows; b++)
        {
            crossEntropy += rowTrueLoss[b];
            correct += rowCorrect[b] ? 1 : 0;
        }

        return (crossEntropy, correct);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Loss(int start, int end)
    {
        int layers = network.LayerCount;
        int classes = network.Sizes[^1];
        ReadOnlySpan<int> rowLabels = labels.Span;
        ReadOnlySpan<float> rowWeights = sampleWeights.Span;
        for (int b = start; b < end; b++)
        {
            // Log-softmax in double for a stable loss; probabilities replace the logits.
            Span<float> logits = activations[layers].AsSpan(b * classes, classes);
            int label = rowLabels[b];
            int predicted = TensorPrimitives.IndexOfMax(logits);
            float max = logits[predicted];
            double sumExp = 0;
            double sumLogits = 0;
            for (int k = 0; k < classes; k++)
            {
                sumExp += Math.Exp(logits[k] - max);
                sumLogits += logits[k] - max;
            }

            double logSumExp = Math.Log(sumExp);
            double trueLoss = logSumExp - (logits[label] - max);
            rowTrueLoss[b] = trueLoss;
            rowCorrect[b] = predicted == label;
            for (int k = 0; k < classes; k++)
            {
                logits[k] = (float)Math.Exp(logits[k] - max - logSumExp);
            }

            if (computeDelta)
            {
                float weight = rowWeights.IsEmpty ? 1f : rowWeights[b];

                // Smoothed targets t = (1 − ε) one-hot + ε / C: loss = (1 − ε) × trueLoss + ε × mean over k of −log p_k.
                double smoothLoss = ((1 - smoothing) * trueLoss) + (smoothing * (logSumExp - (sumLogits / classes)));
                rowLoss[b] = weight * smoothLoss;
                Span<float> delta = deltas[layers].AsSpan(b * classes, classes);
                float scale = weight / batch;
                float offTarget = smoothing / classes;
                for (int k = 0; k < classes; k++)
                {
                    float target = offTarget + (k == label ? 1 - smoothing : 0f);
                    delta[k] = (logits[k] - target) * scale;
                }
            }
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void ApplyDropout(Span<float> input, Span<float> scales, int layer, int row)
    {
        // One hash seeds each row (so rows can be drawn in any order or thread), then xorshift64 gives 16 bits per
        // element, four elements per draw: P(keep) is exact to 1/65536, and the select is branch-free.
        int scaleBits = BitConverter.SingleToInt32Bits(1f / keep);
        int threshold = (int)Math.Round(keep * 65536.0);
        ulong state = SplitMix64.Hash(dropoutKey ^ ((ulong)layer << 56) ^ ((ulong)row << 32)) | 1;
        ulong bits = 0;
        for (int k = 0; k < input.Length; k++)
        {
            if ((k & 3) == 0)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bits = state;
            }

            int kept = ((int)(bits & 0xFFFF) - threshold) >> 31;
            scales[k] = BitConverter.Int32BitsToSingle(scaleBits & kept);
            bits >>= 16;
        }

        TensorPrimitives.Multiply(input, scales, input);
    }

    private void WeightGradient(int start, int end)
    {
        int l = currentLayer;
        DenseKernels.WeightGradient(
            deltas[l + 1],
            activations[l],
            Gradient.AsSpan(network.WeightOffset(l), network.WeightLength(l)),
            Gradient.AsSpan(network.BiasOffset(l), network.Sizes[l + 1]),
            batch,
            network.Sizes[l],
            network.Sizes[l + 1],
            start,
            end);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void InputDelta(int start, int end)
    {
        int l = currentLayer;
        int inputs = network.Sizes[l];
        int outputs = network.Sizes[l + 1];
        ReadOnlySpan<float> weights = network.Weights(l);
        float[] delta = deltas[l + 1];
        for (int b = start; b < end; b++)
        {
            Span<float> target = deltas[l].AsSpan(b * inputs, inputs);
            target.Clear();
            for (int j = 0; j < outputs; j++)
            {
                float d = delta[(b * outputs) + j];
                if (d != 0)
                {
                    TensorPrimitives.MultiplyAdd(weights.Slice(j * inputs, inputs), d, target, target);
                }
            }

            // ReLU and dropout: the stored activation is relu(z) × dropout scale, positive exactly where both pass.
            ReadOnlySpan<float> activation = activations[l].AsSpan(b * inputs, inputs);
            ReadOnlySpan<float> scales = dropScales[l].AsSpan(b * inputs, inputs);
            if (training)
            {
                // A dropped unit has scale 0; a kept unit passes the ReLU gradient only where it was active.
                TensorPrimitives.Multiply(target, scales, target);
            }

            for (int k = 0; k < inputs; k++)
            {
                target[k] = activation[k] > 0 ? target[k] : 0f;
            }
        }
    }
}
