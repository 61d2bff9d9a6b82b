using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>
/// Structural checks of a QDQ model, a subset of the ONNX checker (which has no .NET port): opset, topological order, every
/// input defined, unique outputs, initializer sizes, QuantizeLinear/DequantizeLinear scale and zero-point types and shapes.
/// </summary>
internal static class OnnxStructure
{
    /// <summary>Lists every problem found (empty when the model passes).</summary>
    public static List<string> Check(ModelProto model)
    {
        var problems = new List<string>();
        var g = model.Graph;
        if (!model.OpsetImport.Any(o => o.Domain.Length == 0 && o.Version >= 13))
        {
            problems.Add($"the default-domain opset must be >= 13 for per-axis DequantizeLinear, is [{string.Join(", ", model.OpsetImport.Select(o => $"{o.Domain}:{o.Version}"))}].");
        }

        if (model.IrVersion < 7)
        {
            problems.Add($"ir_version must be >= 7, is {model.IrVersion}.");
        }

        var inits = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (!inits.TryAdd(t.Name, t))
            {
                problems.Add($"initializer \"{t.Name}\" is defined twice.");
            }

            long elements = t.Dims.Aggregate(1L, (a, d) => a * d);
            int size = ElementSize(t.DataType);
            if (size > 0 && t.RawData.Length > 0 && t.RawData.Length != elements * size)
            {
                problems.Add($"initializer \"{t.Name}\" holds {t.RawData.Length} bytes for shape [{string.Join(", ", t.Dims)}] of {size}-byte elements.");
            }
        }

        var defined = new HashSet<string>(g.Input.Select(i => i.Name).Concat(inits.Keys), StringComparer.Ordinal);
        var outputs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Node)
        {
            foreach (var i in n.Input.Where(i => i.Length > 0 && !defined.Contains(i)))
            {
                problems.Add($"node \"{n.Name}\" ({n.OpType}) reads \"{i}\" before anything defines it.");
            }

            foreach (var o in n.Output)
            {
                if (!outputs.Add(o) || inits.ContainsKey(o) || g.Input.Any(x => x.Name == o))
                {
                    problems.Add($"tensor \"{o}\" (output of node \"{n.Name}\") is defined more than once.");
                }

                defined.Add(o);
            }

            if (n.OpType is "QuantizeLinear" or "DequantizeLinear")
            {
                CheckQdq(n, inits, problems);
            }
        }

        foreach (var o in g.Output.Where(o => !defined.Contains(o.Name)))
        {
            problems.Add($"graph output \"{o.Name}\" is produced by no node.");
        }

        return problems;
    }

    private static void CheckQdq(NodeProto n, Dictionary<string, TensorProto> inits, List<string> problems)
    {
        if (n.Input.Count != 3 || n.Output.Count != 1)
        {
            problems.Add($"node \"{n.Name}\" ({n.OpType}) must have 3 inputs (x, scale, zero point) and 1 output, has {n.Input.Count} and {n.Output.Count}.");
            return;
        }

        if (!inits.TryGetValue(n.Input[1], out var scale) || !inits.TryGetValue(n.Input[2], out var zero))
        {
            problems.Add($"node \"{n.Name}\": scale and zero point must be initializers.");
            return;
        }

        if (scale.DataType != (int)TensorProto.Types.DataType.Float)
        {
            problems.Add($"node \"{n.Name}\": scale \"{scale.Name}\" must be float, is type {scale.DataType}.");
        }

        if (!scale.Dims.SequenceEqual(zero.Dims))
        {
            problems.Add($"node \"{n.Name}\": scale shape [{string.Join(", ", scale.Dims)}] and zero-point shape [{string.Join(", ", zero.Dims)}] differ.");
        }

        if (scale.Dims.Count > 1)
        {
            problems.Add($"node \"{n.Name}\": scale must be a scalar or 1-D, has {scale.Dims.Count} dimensions.");
        }

        var zeroType = (TensorProto.Types.DataType)zero.DataType;
        if (n.OpType == "QuantizeLinear" && zeroType is not TensorProto.Types.DataType.Uint8 and not TensorProto.Types.DataType.Int8)
        {
            problems.Add($"node \"{n.Name}\": a QuantizeLinear zero point must be uint8 or int8, is {zeroType}.");
        }

        var axis = n.Attribute.FirstOrDefault(a => a.Name == "axis");
        if (scale.Dims.Count == 1)
        {
            if (!inits.TryGetValue(n.Input[0], out var x))
            {
                return; // per-axis on an activation: shape known only at run time
            }

            long axisValue = axis?.I ?? 1;
            if (axisValue < 0 || axisValue >= x.Dims.Count || x.Dims[(int)axisValue] != scale.Dims[0])
            {
                problems.Add($"node \"{n.Name}\": per-axis scale of length {scale.Dims[0]} does not match axis {axisValue} of \"{x.Name}\" [{string.Join(", ", x.Dims)}].");
            }

            if (x.DataType != zero.DataType)
            {
                problems.Add($"node \"{n.Name}\": input \"{x.Name}\" (type {x.DataType}) and zero point (type {zero.DataType}) differ in type.");
            }
        }
    }

    private static int ElementSize(int type) => (TensorProto.Types.DataType)type switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 => 4,
        TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Double => 8,
        TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Int8 => 1,
        _ => 0,
    };
}
