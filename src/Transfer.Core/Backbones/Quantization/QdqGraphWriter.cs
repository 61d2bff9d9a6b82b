using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>
/// Rewrites a BatchNorm-folded fp32 graph into QDQ form (opset 13): QuantizeLinear/DequantizeLinear pairs on the planned
/// activation tensors (uint8, asymmetric, per tensor), int8 symmetric per-output-channel Conv weights (axis 0) and int32
/// biases (scale = input scale · weight scale), the pattern ONNX Runtime fuses into QLinearConv/QLinearAdd.
/// </summary>
internal static class QdqGraphWriter
{
    private const int Opset = 13;

    public static ModelProto Write(ModelProto folded, IReadOnlyList<string> keepFp32, IReadOnlyDictionary<string, QuantizationParameters> ranges, bool reduceWeightRange, bool searchWeightScales, out int quantizedConvs)
    {
        var model = folded.Clone();
        var g = model.Graph;
        var plan = QdqPlan.Create(g, keepFp32);

        // 1. Fused Relus vanish: the Conv/Add writes the Relu's output name and its uint8 range (zero point 0) clamps at 0.
        foreach (var (producer, relu) in plan.FusedRelu)
        {
            producer.Output[0] = relu.Output[0];
            g.Node.Remove(relu);
        }

        QuantizationParameters Params(string tensor)
        {
            string source = plan.SharedRange.GetValueOrDefault(tensor, tensor);
            return ranges.TryGetValue(source, out var p) ? p : throw new InvalidOperationException($"No calibrated range for tensor \"{source}\".");
        }

        // 2. A Q/DQ pair per planned tensor; every consumer reads the dequantized tensor (the producer then feeds only Q, which ONNX Runtime needs to fuse).
        var consumers = GraphTools.Consumers(g);
        var added = new List<NodeProto>();
        var inputScale = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (string t in plan.Tensors)
        {
            var p = Params(t);
            string scale = t + "_scale", zero = t + "_zero_point", q = t + "_quantized", dq = t + "_dequantized";
            g.Initializer.Add(BackboneGraph.Scalar(scale, p.Scale));
            g.Initializer.Add(GraphTools.ScalarTensor(zero, TensorProto.Types.DataType.Uint8, [p.ZeroPoint], []));
            added.Add(BackboneGraph.Node("QuantizeLinear", [t, scale, zero], [q]));
            added.Add(BackboneGraph.Node("DequantizeLinear", [q, scale, zero], [dq]));
            foreach (var c in consumers.GetValueOrDefault(t) ?? [])
            {
                for (int i = 0; i < c.Input.Count; i++)
                {
                    if (c.Input[i] == t)
                    {
                        c.Input[i] = dq;
                    }
                }
            }

            inputScale[dq] = p.Scale;
        }

        // 3. Weights and biases of quantized Convs.
        var inits = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        int qmax = reduceWeightRange ? 63 : 127;
        quantizedConvs = 0;
        foreach (var conv in plan.Quantized.Where(n => n.OpType == "Conv"))
        {
            var weight = inits[conv.Input[1]];
            var w = BackboneGraph.ReadFloats(weight);
            int channels = (int)weight.Dims[0];
            int per = w.Length / channels;
            var wq = new byte[w.Length];
            var wScale = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                var channel = w.AsSpan(c * per, per);
                float s = WeightScale(channel, qmax, searchWeightScales);
                wScale[c] = s;
                for (int i = 0; i < per; i++)
                {
                    wq[(c * per) + i] = unchecked((byte)(sbyte)Math.Clamp(MathF.Round(channel[i] / s, MidpointRounding.ToEven), -qmax, qmax));
                }
            }

            string wName = conv.Input[1];
            g.Initializer.Add(GraphTools.ScalarTensor(wName + "_quantized", TensorProto.Types.DataType.Int8, wq, [.. weight.Dims]));
            g.Initializer.Add(BackboneGraph.Floats(wName + "_scale", [channels], wScale));
            g.Initializer.Add(GraphTools.ScalarTensor(wName + "_zero_point", TensorProto.Types.DataType.Int8, new byte[channels], [channels]));
            added.Add(AxisNode(BackboneGraph.Node("DequantizeLinear", [wName + "_quantized", wName + "_scale", wName + "_zero_point"], [wName + "_dequantized"])));
            conv.Input[1] = wName + "_dequantized";

            if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
            {
                if (!inputScale.TryGetValue(conv.Input[0], out float xScale))
                {
                    throw new InvalidOperationException($"Conv \"{conv.Name}\" is quantized but its input \"{conv.Input[0]}\" is not.");
                }

                string bName = conv.Input[2];
                var b = BackboneGraph.ReadFloats(inits[bName]);
                var bq = new byte[channels * 4];
                var bScale = new float[channels];
                for (int c = 0; c < channels; c++)
                {
                    bScale[c] = xScale * wScale[c];
                    double v = Math.Round(b[c] / (double)bScale[c]);
                    BitConverter.TryWriteBytes(bq.AsSpan(c * 4), (int)Math.Clamp(v, int.MinValue + 1, int.MaxValue));
                }

                g.Initializer.Add(GraphTools.ScalarTensor(bName + "_quantized", TensorProto.Types.DataType.Int32, bq, [channels]));
                g.Initializer.Add(BackboneGraph.Floats(bName + "_scale", [channels], bScale));
                g.Initializer.Add(GraphTools.ScalarTensor(bName + "_zero_point", TensorProto.Types.DataType.Int32, new byte[channels * 4], [channels]));
                added.Add(AxisNode(BackboneGraph.Node("DequantizeLinear", [bName + "_quantized", bName + "_scale", bName + "_zero_point"], [bName + "_dequantized"])));
                conv.Input[2] = bName + "_dequantized";
            }

            quantizedConvs++;
        }

        g.Node.AddRange(added);
        GraphTools.RemoveUnusedInitializers(g);
        GraphTools.SortTopologically(g);
        g.ValueInfo.Clear();
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        model.IrVersion = Math.Max(model.IrVersion, 7);
        return model;
    }

    /// <summary>
    /// The scale of one output channel's weights: |w|max / <paramref name="qmax"/>, or with <paramref name="search"/> the
    /// scale among 0.50–1.00 × that (steps of 0.01) whose rounding plus clipping error Σ(w − ŵ)² is least.
    /// </summary>
    internal static float WeightScale(ReadOnlySpan<float> w, int qmax, bool search)
    {
        float absMax = 0;
        foreach (float v in w)
        {
            absMax = Math.Max(absMax, Math.Abs(v));
        }

        if (absMax <= 0)
        {
            return 1f;
        }

        float best = absMax / qmax;
        if (!search)
        {
            return best;
        }

        double bestError = double.PositiveInfinity;
        for (int step = 100; step >= 50; step--)
        {
            float s = absMax * step / 100f / qmax;
            double error = 0;
            foreach (float v in w)
            {
                float d = v - (Math.Clamp(MathF.Round(v / s, MidpointRounding.ToEven), -qmax, qmax) * s);
                error += d * d;
            }

            if (error < bestError)
            {
                bestError = error;
                best = s;
            }
        }

        return best;
    }

    private static NodeProto AxisNode(NodeProto node)
    {
        node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return node;
    }
}
