using Google.Protobuf;
using Onnx;
using Transfer.Backbones;

namespace Transfer.Testing;

/// <summary>
/// A real, tiny ONNX CNN for unit tests: 32×32 RGB → three 3×3 convolutions with stride 2 and ReLU (12, 20 and 32
/// channels), each globally average-pooled → 64 features. Its weights are drawn from a fixed seed, so the model bytes, the
/// fingerprint and every feature are the same on every machine. It is an ordinary <see cref="Backbone"/>: the
/// featurizer, bottleneck cache, heads, evaluator, model save/load and <c>Predictor</c> run on it unchanged, in
/// milliseconds, with no model download. Its features separate colours and simple shapes (see
/// <see cref="SyntheticImages"/>); they are not meant for real photos.
/// </summary>
public static class TinyBackbone
{
    /// <summary>The input width and height in pixels.</summary>
    public const int Size = 32;

    /// <summary>The number of features per image.</summary>
    public const int FeatureLength = 64;

    /// <summary>The seed of <see cref="Default"/>'s weights.</summary>
    public const int DefaultSeed = 42;

    /// <summary>The name of the model's image input.</summary>
    public const string InputName = "image";

    /// <summary>The name of the model's feature output, [N, 64, 1, 1].</summary>
    public const string OutputName = "features";

    private static readonly int[] Channels = [3, 12, 20, 32];
    private static readonly Lazy<Backbone> LazyDefault = new(() => Create(DefaultSeed));

    /// <summary>Gets the tiny backbone with weights from <see cref="DefaultSeed"/> (built once per process).</summary>
    public static Backbone Default => LazyDefault.Value;

    /// <summary>Creates the tiny backbone with weights drawn from a seed.</summary>
    /// <param name="seed">The weights' seed; the same seed gives the same model bytes and fingerprint.</param>
    /// <returns>The backbone, named <c>Tiny</c> (<c>Tiny-seed</c> for a seed other than <see cref="DefaultSeed"/>).</returns>
    public static Backbone Create(int seed = DefaultSeed) => Backbone.FromBytes(BuildOnnx(seed), CreateDescriptor(seed));

    /// <summary>Gets the descriptor that feeds the tiny model: RGB scaled to 0–1, then (x − 0.5) / 0.25 per channel.</summary>
    /// <param name="seed">The seed (only its name depends on it).</param>
    /// <returns>The descriptor.</returns>
    public static BackboneDescriptor CreateDescriptor(int seed = DefaultSeed) => new()
    {
        Name = seed == DefaultSeed ? "Tiny" : $"Tiny-{seed}",
        InputName = InputName,
        OutputName = OutputName,
        Width = Size,
        Height = Size,
        FeatureLength = FeatureLength,
        ChannelOrder = ChannelOrder.Rgb,
        PixelScale = 1f / 255f,
        Mean = [0.5f, 0.5f, 0.5f],
        Std = [0.25f, 0.25f, 0.25f],
    };

    /// <summary>
    /// Writes the tiny CNN as an ONNX model (opset 13): input <c>image</c> [N, 3, 32, 32], output <c>features</c>
    /// [N, 64, 1, 1]. About 35 KB; save it to use with <see cref="Backbone.FromOnnx"/> or outside .NET.
    /// </summary>
    /// <param name="seed">The weights' seed.</param>
    /// <returns>The serialised model.</returns>
    public static byte[] BuildOnnx(int seed = DefaultSeed)
    {
        var random = new SeededRandom(seed);
        var graph = new GraphProto { Name = "tiny_cnn" };
        graph.Input.Add(Tensor(InputName, [null, Channels[0], Size, Size]));
        string current = InputName;
        var pooled = new List<string>();
        for (int layer = 1; layer < Channels.Length; layer++)
        {
            int cin = Channels[layer - 1], cout = Channels[layer];
            string w = $"conv{layer}_w", b = $"conv{layer}_b";
            float[] weights = layer == 1 ? FirstLayerWeights(ref random) : HeWeights(ref random, cout * cin * 9, cin * 9);
            graph.Initializer.Add(Floats(w, [cout, cin, 3, 3], weights));
            graph.Initializer.Add(Floats(b, [cout], Biases(ref random, cout)));
            var conv = Node("Conv", $"conv{layer}", [current, w, b], $"conv{layer}_out");
            conv.Attribute.Add(Ints("kernel_shape", [3, 3]));
            conv.Attribute.Add(Ints("strides", [2, 2]));
            conv.Attribute.Add(Ints("pads", [1, 1, 1, 1]));
            graph.Node.Add(conv);
            graph.Node.Add(Node("Relu", $"relu{layer}", [$"conv{layer}_out"], $"relu{layer}_out"));
            current = $"relu{layer}_out";

            // Every layer's channels are pooled: the first layer's colour and edge-orientation statistics separate
            // colours and shapes on their own; the deeper layers add spatial combinations of them.
            graph.Node.Add(Node("GlobalAveragePool", $"pool{layer}", [current], $"pool{layer}_out"));
            pooled.Add($"pool{layer}_out");
        }

        var concat = Node("Concat", "concat", [.. pooled], OutputName);
        concat.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(concat);
        graph.Output.Add(Tensor(OutputName, [null, FeatureLength, 1, 1]));
        var model = new ModelProto
        {
            IrVersion = 7,
            ProducerName = "Transfer.Testing",
            ProducerVersion = "1",
            ModelVersion = seed,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model.ToByteArray();
    }

    /// <summary>
    /// The first layer is designed, not random, so that the features mean something for any seed: 3 opponent-colour
    /// detectors, 8 edge detectors on luminance (4 orientations × 2 polarities) and a centre-surround spot detector.
    /// </summary>
    private static float[] FirstLayerWeights(ref SeededRandom random)
    {
        float[][] kernels =
        [
            [-1, 0, 1, -2, 0, 2, -1, 0, 1],      // vertical edge, dark → light
            [1, 0, -1, 2, 0, -2, 1, 0, -1],      // vertical edge, light → dark
            [-1, -2, -1, 0, 0, 0, 1, 2, 1],      // horizontal edge
            [1, 2, 1, 0, 0, 0, -1, -2, -1],
            [0, 1, 2, -1, 0, 1, -2, -1, 0],      // diagonal edges
            [0, -1, -2, 1, 0, -1, 2, 1, 0],
            [2, 1, 0, 1, 0, -1, 0, -1, -2],
            [-2, -1, 0, -1, 0, 1, 0, 1, 2],
            [-1, -1, -1, -1, 8, -1, -1, -1, -1], // spot
        ];
        int cout = Channels[1];
        var weights = new float[cout * 3 * 9];
        // Opponent-colour detectors on the centre pixel: red − (green + blue) / 2 and likewise for green and blue. They are
        // 0 on white, black and grey, so after ReLU and pooling they measure how much of the image is that colour.
        for (int c = 0; c < 3; c++)
        {
            for (int k = 0; k < 3; k++)
            {
                weights[(((c * 3) + k) * 9) + 4] = (k == c ? 1f : -0.5f) + (float)random.NextDouble(-0.05, 0.05);
            }
        }

        for (int e = 0; e < kernels.Length; e++)
        {
            for (int k = 0; k < 3; k++)
            {
                for (int i = 0; i < 9; i++)
                {
                    // Luminance edges: the same kernel on every channel, scaled so responses stay near unit size.
                    weights[((((3 + e) * 3) + k) * 9) + i] = kernels[e][i] / 12f;
                }
            }
        }

        return weights;
    }

    private static float[] HeWeights(ref SeededRandom random, int count, int fanIn)
    {
        double std = Math.Sqrt(2.0 / fanIn);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(random.NextGaussian() * std);
        }

        return values;
    }

    private static float[] Biases(ref SeededRandom random, int count)
    {
        // Small positive biases keep every channel alive after ReLU for typical inputs.
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)random.NextDouble(0.0, 0.1);
        }

        return values;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static AttributeProto Ints(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static TensorProto Floats(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        tensor.RawData = ByteString.CopyFrom(bytes);
        return tensor;
    }

    private static ValueInfoProto Tensor(string name, long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long? dim in dims)
        {
            shape.Dim.Add(dim is long v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
