using Onnx;

namespace Transfer.Backbones;

/// <summary>
/// Works out the channel count (dimension 1) of a tensor in a CNN graph without running it: recorded shapes first, else
/// from the producing node (a Conv's weight, a Concat's inputs, or the input of a shape-keeping op). Unknown → null.
/// </summary>
internal sealed class ChannelInference
{
    private static readonly HashSet<string> ChannelKeeping = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu",
        "BatchNormalization", "InstanceNormalization", "LRN", "Dropout", "Identity", "MaxPool", "AveragePool",
        "GlobalAveragePool", "GlobalMaxPool", "Add", "Sub", "Mul", "Div", "QuantizeLinear", "DequantizeLinear", "Pad", "Resize",
    };

    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _known = new(StringComparer.Ordinal);

    public ChannelInference(GraphProto g)
    {
        foreach (var n in g.Node)
        {
            foreach (var o in n.Output)
            {
                _producers[o] = n;
            }
        }

        foreach (var t in g.Initializer)
        {
            _initializers[t.Name] = t;
        }

        foreach (var v in g.ValueInfo.Concat(g.Input).Concat(g.Output))
        {
            var dims = v.Type?.TensorType?.Shape?.Dim;
            if (dims is { Count: >= 2 } && dims[1].DimValue > 0)
            {
                _known[v.Name] = dims[1].DimValue;
            }
        }
    }

    /// <summary>The channel count of <paramref name="tensor"/>, or <see langword="null"/> when it cannot be told from the graph.</summary>
    public long? Of(string tensor) => Of(tensor, 0);

    private long? Of(string tensor, int depth)
    {
        if (_known.TryGetValue(tensor, out long known))
        {
            return known;
        }

        if (depth > 1000 || !_producers.TryGetValue(tensor, out var node))
        {
            return null;
        }

        long? result = null;
        if (node.OpType == "Conv" && node.Input.Count > 1 && _initializers.TryGetValue(node.Input[1], out var weight) && weight.Dims.Count > 0)
        {
            result = weight.Dims[0];
        }
        else if (node.OpType == "Concat" && node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I == 1)
        {
            long sum = 0;
            foreach (var input in node.Input)
            {
                if (Of(input, depth + 1) is not long c)
                {
                    return null;
                }

                sum += c;
            }

            result = sum;
        }
        else if (ChannelKeeping.Contains(node.OpType))
        {
            result = node.Input.Where(i => !_initializers.ContainsKey(i)).Select(i => Of(i, depth + 1)).FirstOrDefault(c => c is not null);
        }

        if (result is long r)
        {
            _known[tensor] = r;
        }

        return result;
    }
}
