using Google.Protobuf;
using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>Small ONNX graph utilities shared by BatchNorm folding and QDQ insertion.</summary>
internal static class GraphTools
{
    public static Dictionary<string, List<NodeProto>> Consumers(GraphProto g)
    {
        var result = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in g.Node)
        {
            foreach (var i in n.Input)
            {
                if (i.Length == 0)
                {
                    continue;
                }

                if (!result.TryGetValue(i, out var list))
                {
                    result[i] = list = [];
                }

                if (!list.Contains(n))
                {
                    list.Add(n);
                }
            }
        }

        return result;
    }

    public static Dictionary<string, NodeProto> Producers(GraphProto g)
    {
        var result = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in g.Node)
        {
            foreach (var o in n.Output)
            {
                result[o] = n;
            }
        }

        return result;
    }

    public static void RemoveUnusedInitializers(GraphProto g)
    {
        var used = g.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var keep = g.Initializer.Where(t => used.Contains(t.Name)).ToList();
        g.Initializer.Clear();
        g.Initializer.AddRange(keep);
    }

    /// <summary>Sorts the nodes topologically (Kahn, stable in the original order).</summary>
    /// <exception cref="InvalidOperationException">The graph has a cycle or an input nothing defines.</exception>
    public static void SortTopologically(GraphProto g)
    {
        var available = g.Input.Select(i => i.Name).Concat(g.Initializer.Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        var pending = g.Node.ToList();
        var sorted = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            int before = sorted.Count;
            for (int i = 0; i < pending.Count; i++)
            {
                var n = pending[i];
                if (n.Input.All(x => x.Length == 0 || available.Contains(x)))
                {
                    sorted.Add(n);
                    foreach (var o in n.Output)
                    {
                        available.Add(o);
                    }

                    pending.RemoveAt(i);
                    i--;
                }
            }

            if (sorted.Count == before)
            {
                throw new InvalidOperationException($"The graph cannot be ordered: node \"{pending[0].Name}\" ({pending[0].OpType}) needs [{string.Join(", ", pending[0].Input.Where(x => !available.Contains(x)))}], which nothing defines.");
            }
        }

        g.Node.Clear();
        g.Node.AddRange(sorted);
    }

    public static TensorProto ScalarTensor(string name, TensorProto.Types.DataType type, byte[] raw, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }
}
