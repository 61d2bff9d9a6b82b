using Google.Protobuf;
using Onnx;

namespace Transfer.Backbones;

/// <summary>
/// Builds the single ONNX graph Transfer runs and saves: planar A,R,G,B pixels (0–255, any batch size) →
/// alpha composited on the background → channel reorder and normalisation → the backbone → features [N, D].
/// The backbone's fixed batch dimension is made dynamic and the graph is raised to opset 13.
/// </summary>
internal static class BackboneGraph
{
    /// <summary>The graph's input: planar A,R,G,B floats in 0–255, shape [N, 4, H, W].</summary>
    public const string PixelsName = "Pixels";

    /// <summary>The graph's output: features, shape [N, D].</summary>
    public const string FeaturesName = "Features";

    public const string BatchDim = "batch";

    private const int Opset = 13;

    public static ModelProto Build(ModelProto backbone, BackboneDescriptor d, int alphaBackground)
    {
        var model = backbone.Clone();
        var g = model.Graph;
        var input = g.Input.FirstOrDefault(i => i.Name == d.InputName)
            ?? throw new ArgumentException($"Backbone \"{d.Name}\": the model has no input \"{d.InputName}\" (inputs: {string.Join(", ", g.Input.Select(i => i.Name))}). Fix InputName in the descriptor.");
        if (!g.Output.Any(o => o.Name == d.OutputName) && !g.Node.Any(n => n.Output.Contains(d.OutputName)))
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": the model has no output or node output \"{d.OutputName}\" (outputs: {string.Join(", ", g.Output.Select(o => o.Name))}). Fix OutputName in the descriptor.");
        }

        var outDims = g.Output.FirstOrDefault(o => o.Name == d.OutputName)?.Type?.TensorType?.Shape?.Dim;
        if (outDims is { Count: >= 2 } && outDims.Skip(1).All(x => x.DimValue > 0))
        {
            long perImage = outDims.Skip(1).Aggregate(1L, (a, x) => a * x.DimValue);
            if (perImage != d.FeatureLength)
            {
                throw new ArgumentException($"Backbone \"{d.Name}\": output \"{d.OutputName}\" has shape [{string.Join(", ", outDims.Select(Describe))}], {perImage} features per image, but the descriptor says FeatureLength = {d.FeatureLength}. Fix FeatureLength in the descriptor.");
            }
        }

        var inDims = input.Type?.TensorType?.Shape?.Dim;
        if (inDims is null || inDims.Count != 4)
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": input \"{d.InputName}\" must be a 4-D NCHW image tensor, has {(inDims is null ? "no shape" : $"{inDims.Count} dimensions")}. Only CNNs with an NCHW image input can be used.");
        }

        if ((inDims[1].DimValue is not 0 and not 3) || (inDims[2].DimValue != 0 && inDims[2].DimValue != d.Height) || (inDims[3].DimValue != 0 && inDims[3].DimValue != d.Width))
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": input \"{d.InputName}\" has shape [{string.Join(", ", inDims.Select(Describe))}], but the descriptor says [N, 3, {d.Height}, {d.Width}]. Fix Width/Height in the descriptor or use a 3-channel model.");
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
        string[] planes = ["transfer_a", "transfer_r", "transfer_g", "transfer_b"];
        inits.Add(Ints("transfer_split4", [1, 1, 1, 1]));
        prefix.Add(Node("Split", [PixelsName, "transfer_split4"], planes, ("axis", 1L)));
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

        var suffix = Node("Flatten", [d.OutputName], [FeaturesName], ("axis", 1L));
        var nodes = prefix.Concat(g.Node).Append(suffix).ToList();
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

    private static string Describe(TensorShapeProto.Types.Dimension d) => d.DimValue != 0 ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : (string.IsNullOrEmpty(d.DimParam) ? "?" : d.DimParam);
}
