using System.Numerics.Tensors;

namespace Transfer.Heads.Neural;

/// <summary>
/// The parameters of a stack of dense layers: layer <c>l</c> maps <c>Sizes[l]</c> inputs to <c>Sizes[l + 1]</c>
/// outputs with weights stored row-major as [outputs, inputs] (ONNX Gemm with <c>transB = 1</c>) followed by the biases.
/// Hidden layers use ReLU; the last layer's outputs are logits.
/// </summary>
internal sealed class DenseNetwork
{
    private readonly int[] weightOffsets;
    private readonly int[] biasOffsets;

    public DenseNetwork(int[] sizes)
        : this(sizes, null)
    {
    }

    public DenseNetwork(int[] sizes, float[]? parameters)
    {
        Sizes = sizes;
        weightOffsets = new int[sizes.Length - 1];
        biasOffsets = new int[sizes.Length - 1];
        int offset = 0;
        for (int l = 0; l < sizes.Length - 1; l++)
        {
            weightOffsets[l] = offset;
            offset += sizes[l] * sizes[l + 1];
            biasOffsets[l] = offset;
            offset += sizes[l + 1];
        }

        Parameters = parameters ?? new float[offset];
        if (Parameters.Length != offset)
        {
            throw new ArgumentException($"Expected {offset} parameters for layer sizes [{string.Join(", ", sizes)}], got {Parameters.Length}.", nameof(parameters));
        }
    }

    /// <summary>Gets the layer widths, input first, classes last.</summary>
    public int[] Sizes { get; }

    /// <summary>Gets the number of dense layers.</summary>
    public int LayerCount => Sizes.Length - 1;

    /// <summary>Gets all weights and biases, layer by layer.</summary>
    public float[] Parameters { get; }

    public int WeightOffset(int layer) => weightOffsets[layer];

    public int WeightLength(int layer) => Sizes[layer] * Sizes[layer + 1];

    public int BiasOffset(int layer) => biasOffsets[layer];

    public Span<float> Weights(int layer) => Parameters.AsSpan(weightOffsets[layer], WeightLength(layer));

    public Span<float> Biases(int layer) => Parameters.AsSpan(biasOffsets[layer], Sizes[layer + 1]);

    /// <summary>Glorot-uniform weights (Keras' Dense default) and zero biases.</summary>
    public void InitializeGlorotUniform(int seed)
    {
        var random = SplitMix64.ForStream(seed, 0x1417);
        for (int l = 0; l < LayerCount; l++)
        {
            float limit = (float)Math.Sqrt(6.0 / (Sizes[l] + Sizes[l + 1]));
            Span<float> weights = Weights(l);
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(((2 * random.NextDouble()) - 1) * limit);
            }

            Biases(l).Clear();
        }
    }

    /// <summary>
    /// Computes class probabilities for one row: dense layers, ReLU between them, softmax at the end.
    /// <paramref name="scratchA"/> and <paramref name="scratchB"/> must each hold the widest hidden layer.
    /// </summary>
    public void Predict(ReadOnlySpan<float> features, Span<float> probabilities, Span<float> scratchA, Span<float> scratchB)
    {
        ReadOnlySpan<float> input = features;
        for (int l = 0; l < LayerCount; l++)
        {
            int outputs = Sizes[l + 1];
            Span<float> output = l == LayerCount - 1 ? probabilities[..outputs] : (l % 2 == 0 ? scratchA : scratchB)[..outputs];
            DenseForward(Weights(l), Biases(l), input, output);
            if (l < LayerCount - 1)
            {
                TensorPrimitives.Max(output, 0f, output);
            }

            input = output;
        }

        TensorPrimitives.SoftMax(probabilities[..Sizes[^1]], probabilities);
    }

    /// <summary>output[j] = bias[j] + weights row j · input.</summary>
    public static void DenseForward(ReadOnlySpan<float> weights, ReadOnlySpan<float> biases, ReadOnlySpan<float> input, Span<float> output)
    {
        int inputs = input.Length;
        for (int j = 0; j < output.Length; j++)
        {
            output[j] = biases[j] + TensorPrimitives.Dot(weights.Slice(j * inputs, inputs), input);
        }
    }

    public int WidestHiddenLayer()
    {
        int widest = 1;
        for (int l = 1; l < Sizes.Length - 1; l++)
        {
            widest = Math.Max(widest, Sizes[l]);
        }

        return widest;
    }
}
