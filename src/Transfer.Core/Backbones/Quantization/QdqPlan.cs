using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>
/// Which nodes of a (BatchNorm-folded) fp32 graph are quantized, which activation tensors need a range, and which
/// <c>Relu</c>s disappear into the uint8 range of the Conv/Add before them (zero point 0 clamps at 0 exactly as Relu does).
/// </summary>
internal sealed class QdqPlan
{
    private static readonly HashSet<string> QuantizableOps = new(StringComparer.Ordinal) { "Conv", "Add", "MaxPool", "AveragePool" };

    private QdqPlan()
    {
    }

    /// <summary>Gets the nodes computed on int8/uint8 data.</summary>
    public HashSet<NodeProto> Quantized { get; } = [];

    /// <summary>Gets the Relus removed, keyed by the Conv/Add that absorbs them.</summary>
    public Dictionary<NodeProto, NodeProto> FusedRelu { get; } = [];

    /// <summary>Gets the tensors that get a QuantizeLinear/DequantizeLinear pair (names as in the fp32 graph, Relu outputs for fused Relus).</summary>
    public List<string> Tensors { get; } = [];

    /// <summary>Gets the tensors whose range is taken from another tensor (a MaxPool output shares its input's).</summary>
    public Dictionary<string, string> SharedRange { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the tensors whose range is measured in the calibration run.</summary>
    public IEnumerable<string> CalibratedTensors => Tensors.Where(t => !SharedRange.ContainsKey(t));

    /// <summary>Gets the node names and op types that matched <see cref="QuantizationOptions.KeepFp32"/>.</summary>
    public List<string> KeptFp32 { get; } = [];

    public static QdqPlan Create(GraphProto g, IReadOnlyList<string> keepFp32)
    {
        var plan = new QdqPlan();
        var keep = keepFp32.ToHashSet(StringComparer.Ordinal);
        var inits = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var consumers = GraphTools.Consumers(g);
        foreach (var n in g.Node)
        {
            bool kept = keep.Contains(n.Name) || keep.Contains(n.OpType);
            if (kept && (QuantizableOps.Contains(n.OpType) || n.OpType == "Relu"))
            {
                plan.KeptFp32.Add(n.Name);
            }

            if (kept || !QuantizableOps.Contains(n.OpType) || n.Output.Count != 1)
            {
                continue;
            }

            if (n.OpType == "Conv" && (n.Input.Count < 2 || !inits.Contains(n.Input[1]) || (n.Input.Count > 2 && !inits.Contains(n.Input[2]))))
            {
                continue; // weights computed at run time: leave fp32
            }

            plan.Quantized.Add(n);
        }

        var tensors = new HashSet<string>(StringComparer.Ordinal);
        void AddTensor(string t)
        {
            if (tensors.Add(t))
            {
                plan.Tensors.Add(t);
            }
        }

        foreach (var n in g.Node.Where(plan.Quantized.Contains))
        {
            // Activation inputs: Conv's data input, both Add inputs, the pooled tensor.
            var inputs = n.OpType == "Add" ? n.Input.ToList() : [n.Input[0]];
            foreach (var x in inputs.Where(x => !inits.Contains(x)))
            {
                AddTensor(x);
            }

            string y = n.Output[0];
            if (n.OpType is "Conv" or "Add")
            {
                if (!outputs.Contains(y) && consumers.TryGetValue(y, out var users) && users.Count == 1 && users[0].OpType == "Relu"
                    && !keep.Contains(users[0].Name) && !keep.Contains("Relu"))
                {
                    plan.FusedRelu[n] = users[0];
                    y = users[0].Output[0];
                }

                AddTensor(y);
            }
            else if (n.OpType == "MaxPool")
            {
                plan.SharedRange[y] = n.Input[0];
                AddTensor(y);
            }
        }

        // A MaxPool output shares its input's range; follow chains of pools.
        foreach (var key in plan.SharedRange.Keys.ToList())
        {
            string source = plan.SharedRange[key];
            while (plan.SharedRange.TryGetValue(source, out var next))
            {
                source = next;
            }

            plan.SharedRange[key] = source;
        }

        return plan;
    }
}
