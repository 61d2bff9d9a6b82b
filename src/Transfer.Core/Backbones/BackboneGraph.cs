using Google.Protobuf;
using Onnx;

namespace Transfer.Backbones;

/// <summary>
/// Builds the single ONNX graph Transfer runs and saves: planar A,R,G,B pixels (0–255, any batch size) →
/// alpha composited on the background → channel reorder and normalisation → the backbone → features [N, D].
/// The backbone's fixed batch dimension is made dynamic and the graph is raised to opset 13.
/// </summary>
internal static partial class BackboneGraph
{
    /// <summary>The graph's input: planar A,R,G,B floats in 0–255, shape [N, 4, H, W].</summary>
    public const string PixelsName = BackboneTensorNames.Pixels;

    /// <summary>The graph's output: features, shape [N, D].</summary>
    public const string FeaturesName = BackboneTensorNames.Features;

    public const string BatchDim = "batch";

    private const int Opset = 13;

    /// <summary>
    /// Wraps <paramref name="backbone"/> into the Pixels → Features graph.
    /// </summary>
    /// <param name="backbone">The backbone's own ONNX model.</param>
    /// <param name="d">The descriptor.</param>
    /// <param name="alphaBackground">The background colour (0xRRGGBB) transparent pixels are composited on.</param>
    /// <param name="resizeInput">
    /// Whether the descriptor's Width/Height may differ from the model's declared input size (a backbone made by
    /// <see cref="Backbone.WithInputSize"/>): the fixed AveragePool that makes the features then becomes a GlobalAveragePool.
    /// </param>
    /// <param name="tta">Test-time augmentation: with a horizontal flip the batch runs with its mirror and the halves are averaged.</param>
    public static ModelProto Build(ModelProto backbone, BackboneDescriptor d, int alphaBackground, bool resizeInput = false, TestTimeAugmentation tta = TestTimeAugmentation.None)
    {
        var model = backbone.Clone();
        var g = model.Graph;
        var input = g.Input.FirstOrDefault(i => i.Name == d.InputName)
            ?? throw new ArgumentException($"Backbone \"{d.Name}\": the model has no input \"{d.InputName}\" (inputs: {string.Join(", ", g.Input.Select(i => i.Name))}). Fix InputName in the descriptor.");
        if (!g.Output.Any(o => o.Name == d.OutputName) && !g.Node.Any(n => n.Output.Contains(d.OutputName)))
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": the model has no output or node output \"{d.OutputName}\" (outputs: {string.Join(", ", g.Output.Select(o => o.Name))}). Fix OutputName in the descriptor.");
        }

        IReadOnlyList<string> pooled = d.PooledOutputs ?? [];
        var missing = pooled.Where(p => !g.Node.Any(n => n.Output.Contains(p))).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": PooledOutputs names [{string.Join(", ", missing)}], which no node of the model outputs. Fix PooledOutputs in the descriptor (names of intermediate node outputs [N, C, h, w]).");
        }

        var outDims = g.Output.FirstOrDefault(o => o.Name == d.OutputName)?.Type?.TensorType?.Shape?.Dim;
        long? mainLength = null;
        if (outDims is { Count: >= 2 } && outDims.Skip(1).All(x => x.DimValue > 0))
        {
            mainLength = outDims.Skip(1).Aggregate(1L, (a, x) => a * x.DimValue);
            if (pooled.Count == 0 && mainLength != d.FeatureLength)
            {
                throw new ArgumentException($"Backbone \"{d.Name}\": output \"{d.OutputName}\" has shape [{string.Join(", ", outDims.Select(Describe))}], {mainLength} features per image, but the descriptor says FeatureLength = {d.FeatureLength}. Fix FeatureLength in the descriptor.");
            }
        }

        if (pooled.Count > 0)
        {
            var channels = new ChannelInference(g);
            var counts = pooled.Select(p => (Name: p, Channels: channels.Of(p))).ToList();
            if (mainLength is long main && counts.All(c => c.Channels is not null))
            {
                long total = main + counts.Sum(c => c.Channels!.Value);
                if (total != d.FeatureLength)
                {
                    throw new ArgumentException($"Backbone \"{d.Name}\": output \"{d.OutputName}\" gives {main} features and PooledOutputs [{string.Join(", ", counts.Select(c => $"{c.Name}: {c.Channels}"))}] add {total - main}, {total} per image, but the descriptor says FeatureLength = {d.FeatureLength}. Set FeatureLength to {total}.");
                }
            }
        }

        var inDims = input.Type?.TensorType?.Shape?.Dim;
        if (inDims is null || inDims.Count != 4)
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": input \"{d.InputName}\" must be a 4-D NCHW image tensor, has {(inDims is null ? "no shape" : $"{inDims.Count} dimensions")}. Only CNNs with an NCHW image input can be used.");
        }

        bool sizeDiffers = (inDims[2].DimValue != 0 && inDims[2].DimValue != d.Height) || (inDims[3].DimValue != 0 && inDims[3].DimValue != d.Width);
        if ((inDims[1].DimValue is not 0 and not 3) || (sizeDiffers && !resizeInput))
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": input \"{d.InputName}\" has shape [{string.Join(", ", inDims.Select(Describe))}], but the descriptor says [N, 3, {d.Height}, {d.Width}]. Fix Width/Height in the descriptor or use a 3-channel model.");
        }

        if (resizeInput)
        {
            // Also when the model declares a dynamic size: its fixed AveragePool kernel still fits only its own size.
            MakeFinalPoolGlobal(g, d, $"{Describe(inDims[3])}×{Describe(inDims[2])}");
            inDims[2].DimValue = d.Height;
            inDims[3].DimValue = d.Width;
        }

        // Opset 13: BatchNormalization lost "spatial" (spatial = 1 is the only behaviour since opset 9).
        foreach (var node in g.Node)
        {
            if (node.OpType == "BatchNormalization")
            {
                var spatial = node.Attribute.FirstOrDefault(a => a.Name == "spatial");
                if (spatial is not null)
                {
                    if (spatial.I != 1)
                    {
                        throw new ArgumentException($"Backbone \"{d.Name}\": node \"{node.Name}\" uses BatchNormalization spatial = {spatial.I}, which ONNX dropped in opset 9.");
                    }

                    node.Attribute.Remove(spatial);
                }
            }

            if (node.OpType == "Split" && node.Attribute.Any(a => a.Name == "split"))
            {
                throw new ArgumentException($"Backbone \"{d.Name}\": node \"{node.Name}\" is an opset < 13 Split; convert the model to opset 13 first.");
            }
        }

        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        model.IrVersion = Math.Max(model.IrVersion, 7);
        g.ValueInfo.Clear(); // shapes recorded for batch 1 would contradict a dynamic batch

        string normalized = "transfer_normalized";
        var prefix = new List<NodeProto>();
        var inits = new List<TensorProto>();
        string pixels = PixelsName;
        if (tta == TestTimeAugmentation.HorizontalFlip)
        {
            // The mirror is taken of the pixels, so the batch is exactly [x; mirror(x)] before compositing and
            // normalisation (a mean image is not symmetric: mirroring after subtracting it would differ).
            inits.Add(Ints("transfer_flip_starts", [-1]));
            inits.Add(Ints("transfer_flip_ends", [long.MinValue]));
            inits.Add(Ints("transfer_flip_axes", [3]));
            inits.Add(Ints("transfer_flip_steps", [-1]));
            prefix.Add(Node("Slice", [PixelsName, "transfer_flip_starts", "transfer_flip_ends", "transfer_flip_axes", "transfer_flip_steps"], ["transfer_mirrored"]));
            prefix.Add(Node("Concat", [PixelsName, "transfer_mirrored"], ["transfer_with_mirror"], ("axis", 0L)));
            pixels = "transfer_with_mirror";
        }

        string[] planes = ["transfer_a", "transfer_r", "transfer_g", "transfer_b"];
        inits.Add(Ints("transfer_split4", [1, 1, 1, 1]));
        prefix.Add(Node("Split", [pixels, "transfer_split4"], planes, ("axis", 1L)));
        inits.Add(Scalar("transfer_255", 255f));
        inits.Add(Scalar("transfer_1", 1f));
        prefix.Add(Node("Div", ["transfer_a", "transfer_255"], ["transfer_alpha"]));
        prefix.Add(Node("Sub", ["transfer_1", "transfer_alpha"], ["transfer_inv_alpha"]));
        float[] bg = [(alphaBackground >> 16) & 0xFF, (alphaBackground >> 8) & 0xFF, alphaBackground & 0xFF];
        string[] rgb = new string[3];
        for (int c = 0; c < 3; c++)
        {
            // Decoded pixels are premultiplied: composite = colour + background · (1 − alpha). Opaque pixels stay exact.
            inits.Add(Scalar($"transfer_bg{c}", bg[c]));
            prefix.Add(Node("Mul", ["transfer_inv_alpha", $"transfer_bg{c}"], [$"transfer_bgpart{c}"]));
            prefix.Add(Node("Add", [planes[c + 1], $"transfer_bgpart{c}"], [$"transfer_c{c}"]));
            rgb[c] = $"transfer_c{c}";
        }

        string[] ordered = d.ChannelOrder == ChannelOrder.Bgr ? [rgb[2], rgb[1], rgb[0]] : rgb;
        prefix.Add(Node("Concat", ordered, ["transfer_ordered"], ("axis", 1L)));
        string current = "transfer_ordered";
        if (d.PixelScale != 1f)
        {
            inits.Add(Scalar("transfer_scale", d.PixelScale));
            prefix.Add(Node("Mul", [current, "transfer_scale"], ["transfer_scaled"]));
            current = "transfer_scaled";
        }

        if (d.MeanImage is not null)
        {
            inits.Add(Floats("transfer_mean_image", [1, 3, d.Height, d.Width], d.MeanImage));
            prefix.Add(Node("Sub", [current, "transfer_mean_image"], ["transfer_centered"]));
            current = "transfer_centered";
        }
        else if (d.Mean is not null)
        {
            inits.Add(Floats("transfer_mean", [1, 3, 1, 1], d.Mean));
            prefix.Add(Node("Sub", [current, "transfer_mean"], ["transfer_centered"]));
            current = "transfer_centered";
        }

        if (d.Std is not null)
        {
            inits.Add(Floats("transfer_std", [1, 3, 1, 1], d.Std));
            prefix.Add(Node("Div", [current, "transfer_std"], ["transfer_standardized"]));
            current = "transfer_standardized";
        }

        prefix.Add(Node("Identity", [current], [normalized]));

        // Re-point the backbone's consumers of its image input at the normalised tensor.
        foreach (var node in g.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == d.InputName)
                {
                    node.Input[i] = normalized;
                }
            }
        }

        var suffix = Suffix(g, d, pooled, tta, inits);
        var nodes = prefix.Concat(g.Node).Concat(suffix).ToList();
        g.Node.Clear();
        g.Node.AddRange(nodes);
        g.Initializer.AddRange(inits);
        g.Input.Clear();
        g.Input.Add(TensorInfo(PixelsName, [null, 4, d.Height, d.Width]));
        g.Output.Clear();
        g.Output.Add(TensorInfo(FeaturesName, [null, d.FeatureLength]));
        return model;
    }

    public static ValueInfoProto TensorInfo(string name, long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim is long v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = BatchDim });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static NodeProto Node(string op, string[] inputs, string[] outputs, params (string Name, long Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"transfer_{op}_{outputs[0]}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
        }

        return node;
    }

    public static TensorProto Scalar(string name, float value) => Floats(name, [], [value]);

    public static TensorProto Floats(string name, long[] dims, IReadOnlyList<float> values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        var bytes = new byte[values.Count * 4];
        for (int i = 0; i < values.Count; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), values[i]);
        }

        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    public static TensorProto Ints(string name, long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        return t;
    }

    /// <summary>Reads a float initializer (raw or typed data).</summary>
    public static float[] ReadFloats(TensorProto t)
    {
        if (t.FloatData.Count > 0)
        {
            return [.. t.FloatData];
        }

        var raw = t.RawData.Span;
        var result = new float[raw.Length / 4];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = BitConverter.ToSingle(raw.Slice(i * 4, 4));
        }

        return result;
    }

    /// <summary>The nodes after the backbone: flatten (and pool, normalise, concatenate) the blocks, then average the mirror halves.</summary>
    private static List<NodeProto> Suffix(GraphProto g, BackboneDescriptor d, IReadOnlyList<string> pooled, TestTimeAugmentation tta, List<TensorProto> inits)
    {
        var nodes = new List<NodeProto>();
        bool l2 = d.FeatureNormalization == FeatureNormalization.L2;
        bool flip = tta == TestTimeAugmentation.HorizontalFlip;
        if (pooled.Count == 0 && !l2 && !flip)
        {
            nodes.Add(Node("Flatten", [d.OutputName], [FeaturesName], ("axis", 1L)));
            return nodes;
        }

        if (l2)
        {
            inits.Add(Scalar("transfer_l2_epsilon", L2Epsilon));
        }

        var blocks = new List<string>();
        for (int b = 0; b <= pooled.Count; b++)
        {
            string block = $"transfer_block{b}";
            if (b == 0)
            {
                nodes.Add(Node("Flatten", [Dequantized(g, d.OutputName)], [block], ("axis", 1L)));
            }
            else
            {
                nodes.Add(Node("GlobalAveragePool", [Dequantized(g, pooled[b - 1])], [block + "_pooled"]));
                nodes.Add(Node("Flatten", [block + "_pooled"], [block], ("axis", 1L)));
            }

            if (l2)
            {
                block = AppendL2Normalization(nodes, block, "transfer_l2_epsilon");
            }

            blocks.Add(block);
        }

        string features = flip ? "transfer_features_with_mirror" : FeaturesName;
        nodes.Add(blocks.Count == 1 ? Node("Identity", [blocks[0]], [features]) : Node("Concat", [.. blocks], [features], ("axis", 1L)));
        if (flip)
        {
            // [2N, D] → [2, N, D] → mean over the first axis: (features(x) + features(mirror x)) / 2.
            inits.Add(Ints("transfer_halves_shape", [2, -1, d.FeatureLength]));
            nodes.Add(Node("Reshape", [features, "transfer_halves_shape"], ["transfer_halves"]));
            var mean = Node("ReduceMean", ["transfer_halves"], [FeaturesName], ("keepdims", 0L));
            mean.Attribute.Add(IntsAttribute("axes", [0]));
            nodes.Add(mean);
        }

        return nodes;
    }

    /// <summary>
    /// The tensor to read a backbone tensor's values from: in an int8 (QDQ) backbone a quantized tensor's consumers read
    /// its DequantizeLinear output (a fused Relu's clamp lives in that pair), so the features must too.
    /// </summary>
    private static string Dequantized(GraphProto g, string tensor)
    {
        foreach (var q in g.Node.Where(n => n.OpType == "QuantizeLinear" && n.Input.Count > 0 && n.Input[0] == tensor))
        {
            var dq = g.Node.FirstOrDefault(n => n.OpType == "DequantizeLinear" && n.Input.Count > 0 && n.Input[0] == q.Output[0]);
            if (dq is not null)
            {
                return dq.Output[0];
            }
        }

        return tensor;
    }

    /// <summary>
    /// For an input size other than the model's: the AveragePool that makes (or feeds) the feature output has a kernel
    /// sized for the old input; a GlobalAveragePool gives the same result at the old size and the right one at any other.
    /// </summary>
    private static void MakeFinalPoolGlobal(GraphProto g, BackboneDescriptor d, string modelSize)
    {
        NodeProto? Producer(string tensor) => g.Node.FirstOrDefault(n => n.Output.Contains(tensor));
        var node = Producer(d.OutputName);
        for (int hop = 0; hop < 3 && node is not null && node.OpType is "Flatten" or "Reshape" or "Squeeze" or "Identity" or "DequantizeLinear" or "QuantizeLinear"; hop++)
        {
            node = Producer(node.Input[0]);
        }

        if (node is null || node.OpType is not ("AveragePool" or "GlobalAveragePool"))
        {
            string what = node is null ? "is not made by any node" : $"comes from node \"{node.Name}\" ({node.OpType})";
            throw new ArgumentException($"Backbone \"{d.Name}\": the input size {d.Width}×{d.Height} differs from the model's {modelSize}, which needs the features to come from a global average pool, but output \"{d.OutputName}\" {what}, not an AveragePool or GlobalAveragePool. Use the model's own size, or a model whose features are globally average-pooled.");
        }

        if (node.OpType == "AveragePool")
        {
            node.OpType = "GlobalAveragePool";
            node.Attribute.Clear();
        }
    }

    private static AttributeProto IntsAttribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static string Describe(TensorShapeProto.Types.Dimension d) => d.DimValue != 0 ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : (string.IsNullOrEmpty(d.DimParam) ? "?" : d.DimParam);
}
