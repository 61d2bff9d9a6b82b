using System.Buffers;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Onnx;
using Transfer.Featurization;
using Transfer.IO;

namespace Transfer.Heads.Neural;

/// <summary>
/// A trained softmax or MLP head, as <see cref="NeuralHeadTrainer"/> returns it: predicts class probabilities from raw
/// bottleneck features, and appends itself to an ONNX graph so that a saved model scores with no Transfer code (inside a
/// saved model it runs as ONNX nodes followed by ML.NET's own maximum-entropy scorer). Immutable and safe to use from
/// several threads.
/// </summary>
public sealed class TrainedNeuralHead : TrainedHead
{
    private readonly DenseNetwork network;
    private readonly Lazy<ITransformer> scoringTransformer;

    internal TrainedNeuralHead(int[] sizes, float[] parameters, TrainingHistory history, IReadOnlyList<string> classes, string trainerName)
        : base(classes, sizes[0])
    {
        network = new DenseNetwork(sizes, parameters);
        History = history;
        HiddenLayers = sizes[1..^1];
        TrainerName = trainerName;
        scoringTransformer = new Lazy<ITransformer>(BuildScoringTransformer);
    }

    /// <summary>Gets the length of the feature vectors the head takes.</summary>
    public int FeatureDimension => network.Sizes[0];

    /// <summary>Gets the number of classes.</summary>
    public int ClassCount => network.Sizes[^1];

    /// <summary>Gets the widths of the hidden ReLU layers (empty for a softmax head).</summary>
    public IReadOnlyList<int> HiddenLayers { get; }

    /// <summary>Gets the metrics of every epoch trained.</summary>
    public override TrainingHistory History { get; }

    /// <inheritdoc/>
    public override string TrainerName { get; }

    /// <summary>Gets the number (from 1) of the epoch whose weights the head holds.</summary>
    public int BestEpoch => History.BestEpoch;

    /// <summary>Gets the parameters, layer by layer: weights [outputs, inputs] row-major, then biases; standardisation is already folded in.</summary>
    internal DenseNetwork Network => network;

    /// <inheritdoc/>
    public override ITransformer ScoringTransformer => scoringTransformer.Value;

    /// <inheritdoc/>
    public override void PredictProbabilities(ReadOnlySpan<float> features, int count, Span<float> probabilities) =>
        PredictBatch(features[..(count * FeatureLength)], probabilities[..(count * Classes.Count)]);

    /// <summary>Computes the class probabilities of one feature vector.</summary>
    /// <param name="features">The raw features, <see cref="FeatureDimension"/> long.</param>
    /// <param name="probabilities">Receives <see cref="ClassCount"/> probabilities.</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void Predict(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        if (features.Length != FeatureDimension)
        {
            throw new ArgumentException($"Parameter \"features\" must have {FeatureDimension} values (the head's feature dimension), had {features.Length}.", nameof(features));
        }

        if (probabilities.Length < ClassCount)
        {
            throw new ArgumentException($"Parameter \"probabilities\" must have room for {ClassCount} classes, had {probabilities.Length}.", nameof(probabilities));
        }

        int widest = network.WidestHiddenLayer();
        float[]? rented = null;
        Span<float> scratch = widest <= 1024 ? stackalloc float[2 * widest] : (rented = ArrayPool<float>.Shared.Rent(2 * widest));
        network.Predict(features, probabilities, scratch[..widest], scratch.Slice(widest, widest));
        if (rented is not null)
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Computes the class probabilities of every row of <paramref name="features"/>.</summary>
    /// <param name="features">The features; their dimension must be <see cref="FeatureDimension"/>. Labels are ignored.</param>
    /// <returns>Row-major probabilities, <c>features.Count × ClassCount</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The dimension differs.</exception>
    public float[] Predict(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var probabilities = new float[features.Count * ClassCount];
        PredictBatch(features.Values.AsSpan(0, features.Count * features.Dimension), probabilities);
        return probabilities;
    }

    /// <summary>Computes the class probabilities of row-major feature vectors.</summary>
    /// <param name="features">Row-major features, a multiple of <see cref="FeatureDimension"/> long.</param>
    /// <param name="probabilities">Receives row-major probabilities, rows × <see cref="ClassCount"/>.</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void PredictBatch(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        int rows = features.Length / FeatureDimension;
        if (rows * FeatureDimension != features.Length || probabilities.Length < rows * ClassCount)
        {
            throw new ArgumentException($"Parameter \"features\" must be a multiple of {FeatureDimension} long and \"probabilities\" {ClassCount} per row; had {features.Length} and {probabilities.Length}.", nameof(features));
        }

        for (int i = 0; i < rows; i++)
        {
            Predict(features.Slice(i * FeatureDimension, FeatureDimension), probabilities.Slice(i * ClassCount, ClassCount));
        }
    }

    /// <summary>
    /// Appends the head to an ONNX graph: one <c>Gemm</c> (with <c>transB = 1</c>) per dense layer, <c>Relu</c> between
    /// them, and a <c>Softmax</c> over axis 1, reading the float tensor <paramref name="featuresName"/> [N, D] and
    /// producing <paramref name="probabilitiesName"/> [N, C]. Weights become initializers. Dropout is not exported
    /// (it is off at inference); feature standardisation is already folded into the first layer. Valid for opset 13 and later.
    /// The caller adds <paramref name="probabilitiesName"/> to the graph outputs if it should be one.
    /// </summary>
    /// <param name="graph">The graph to extend.</param>
    /// <param name="featuresName">The name of an existing float tensor [N, <see cref="FeatureDimension"/>].</param>
    /// <param name="probabilitiesName">The name of the probability tensor to produce.</param>
    /// <param name="namePrefix">Prefix of every initializer, intermediate tensor and node added.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A name is empty, or a name the head would add is already used in the graph.</exception>
    public void AppendToOnnx(GraphProto graph, string featuresName, string probabilitiesName, string namePrefix = "head")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrEmpty(featuresName);
        ArgumentException.ThrowIfNullOrEmpty(probabilitiesName);
        ArgumentException.ThrowIfNullOrEmpty(namePrefix);

        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorProto initializer in graph.Initializer)
        {
            used.Add(initializer.Name);
        }

        foreach (ValueInfoProto graphInput in graph.Input)
        {
            used.Add(graphInput.Name);
        }

        foreach (NodeProto node in graph.Node)
        {
            used.Add(node.Name);
            foreach (string output in node.Output)
            {
                used.Add(output);
            }
        }

        var nodes = new List<NodeProto>();
        var initializers = new List<TensorProto>();
        string input = featuresName;
        for (int l = 0; l < network.LayerCount; l++)
        {
            string weights = $"{namePrefix}_dense{l}_weight";
            string biases = $"{namePrefix}_dense{l}_bias";
            string gemm = $"{namePrefix}_dense{l}_output";
            initializers.Add(Tensor(weights, [network.Sizes[l + 1], network.Sizes[l]], network.Weights(l)));
            initializers.Add(Tensor(biases, [network.Sizes[l + 1]], network.Biases(l)));
            var gemmNode = Node("Gemm", $"{namePrefix}_dense{l}", [input, weights, biases], gemm);
            gemmNode.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            nodes.Add(gemmNode);
            input = gemm;
            if (l < network.LayerCount - 1)
            {
                string relu = $"{namePrefix}_relu{l}_output";
                nodes.Add(Node("Relu", $"{namePrefix}_relu{l}", [input], relu));
                input = relu;
            }
        }

        var softmax = Node("Softmax", $"{namePrefix}_softmax", [input], probabilitiesName);
        softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        nodes.Add(softmax);

        var clashes = new List<string>();
        foreach (TensorProto initializer in initializers)
        {
            if (used.Contains(initializer.Name))
            {
                clashes.Add(initializer.Name);
            }
        }

        foreach (NodeProto node in nodes)
        {
            if (used.Contains(node.Name))
            {
                clashes.Add(node.Name);
            }

            foreach (string output in node.Output)
            {
                if (used.Contains(output))
                {
                    clashes.Add(output);
                }
            }
        }

        if (clashes.Count > 0)
        {
            throw new ArgumentException($"The graph already uses the names {string.Join(", ", clashes)}; pass another namePrefix (was \"{namePrefix}\") or probabilitiesName (was \"{probabilitiesName}\").", nameof(namePrefix));
        }

        graph.Initializer.Add(initializers);
        graph.Node.Add(nodes);
    }

    private static NodeProto Node(string opType, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.Add(inputs);
        node.Output.Add(output);
        return node;
    }

    private static TensorProto Tensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        // ONNX raw_data is little-endian, as every platform .NET runs ML.NET on.
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    private TransformerChain<ITransformer> BuildScoringTransformer() => OnnxHead.ScoringTransformer(NeuralHeadTrainer.BuildScoringGraph(this), Classes, FeatureLength);

}
