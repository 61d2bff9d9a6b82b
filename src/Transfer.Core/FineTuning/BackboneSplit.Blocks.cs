using Onnx;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;

namespace Transfer.FineTuning;

/// <summary>Finding the residual blocks at the top of a (BatchNorm-folded) graph.</summary>
internal sealed partial class BackboneSplit
{
    /// <summary>The tensor whose global average pool makes the backbone's main features (the last block's output).</summary>
    private static string PooledTensor(BackboneDescriptor d, Dictionary<string, NodeProto> producers)
    {
        producers.TryGetValue(d.OutputName, out var node);
        for (int hop = 0; hop < 3 && node is { OpType: "Flatten" or "Reshape" or "Squeeze" or "Identity" }; hop++)
        {
            producers.TryGetValue(node.Input[0], out node);
        }

        if (node is not { OpType: "AveragePool" or "GlobalAveragePool" })
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": fine-tuning needs the features (\"{d.OutputName}\") to be a global average pool of the last residual block, but they come from {(node is null ? "no node" : $"node \"{node.Name}\" ({node.OpType})")}.");
        }

        return node.Input[0];
    }

    /// <summary>Walks back from <paramref name="top"/> block by block: one block, or every block of the last stage (down to the one that changes the shape).</summary>
    private static List<ParsedBlock> FindBlocks(string backboneName, string top, Dictionary<string, NodeProto> producers, TunedLayers layers)
    {
        var blocks = new List<ParsedBlock>();
        string output = top;
        while (ParseBlock(output, producers) is { } block)
        {
            blocks.Insert(0, block);
            if (layers == TunedLayers.LastBlock || block.Shortcut is not null)
            {
                break; // a projected shortcut starts a stage
            }

            output = block.Input;
        }

        if (blocks.Count == 0)
        {
            string what = producers.TryGetValue(top, out var n) ? $"node \"{n.Name}\" ({n.OpType})" : "no node";
            throw new ArgumentException($"Backbone \"{backboneName}\": fine-tuning needs residual blocks (relu(conv(relu(conv(x))) + shortcut(x))) below the final pooling, but \"{top}\" comes from {what}. Fine-tune a ResNet-style backbone such as ResNet18.");
        }

        return blocks;
    }

    private static ParsedBlock? ParseBlock(string output, Dictionary<string, NodeProto> producers)
    {
        if (!producers.TryGetValue(output, out var relu) || relu.OpType != "Relu"
            || !producers.TryGetValue(relu.Input[0], out var add) || add.OpType != "Add" || add.Input.Count != 2)
        {
            return null;
        }

        for (int side = 0; side < 2; side++)
        {
            string branch = add.Input[side];
            string shortcut = add.Input[1 - side];
            if (!producers.TryGetValue(branch, out var second) || second.OpType != "Conv"
                || !producers.TryGetValue(second.Input[0], out var middle) || middle.OpType != "Relu"
                || !producers.TryGetValue(middle.Input[0], out var first) || first.OpType != "Conv")
            {
                continue;
            }

            string input = first.Input[0];
            NodeProto? projection = null;
            if (shortcut != input && (!producers.TryGetValue(shortcut, out projection) || projection.OpType != "Conv" || projection.Input[0] != input))
            {
                continue;
            }

            return new ParsedBlock(input, output, first, middle, second, projection, add, relu);
        }

        return null;
    }

    /// <summary>Refuses a cut whose inner tensors are read outside the tuned part (they would change unseen), e.g. a pooled stage inside it.</summary>
    private static void CheckSelfContained(string backboneName, BackboneDescriptor d, GraphProto g, List<ParsedBlock> blocks, string top)
    {
        var tuned = blocks.SelectMany(b => b.Nodes).ToHashSet();
        var inner = tuned.SelectMany(n => n.Output).Where(o => o != top).ToHashSet(StringComparer.Ordinal);
        foreach (string pooled in d.PooledOutputs ?? [])
        {
            if (inner.Contains(pooled) || pooled == top)
            {
                throw new NotSupportedException($"Backbone \"{backboneName}\": PooledOutputs names \"{pooled}\", which is computed inside the tuned blocks. Tune only the last block (TunedLayers.LastBlock), or pool an output below the tuned part.");
            }
        }

        var consumers = GraphTools.Consumers(g);
        foreach (string tensor in inner)
        {
            var outside = consumers.GetValueOrDefault(tensor)?.FirstOrDefault(n => !tuned.Contains(n));
            if (outside is not null || g.Output.Any(o => o.Name == tensor))
            {
                throw new NotSupportedException($"Backbone \"{backboneName}\": \"{tensor}\", inside the tuned blocks, is also read by {(outside is null ? "a graph output" : $"node \"{outside.Name}\" ({outside.OpType})")}, which would not see the tuned weights. Tune fewer layers.");
            }
        }
    }

    private static TunedConvolution Convolution(string backboneName, NodeProto conv, Dictionary<string, TensorProto> initializers)
    {
        long Int(string name, long fallback) => conv.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;
        long[] Ints(string name) => conv.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray() ?? [];
        string autoPad = conv.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (!initializers.TryGetValue(conv.Input[1], out var weight) || weight.Dims.Count != 4
            || conv.Input.Count < 3 || !initializers.ContainsKey(conv.Input[2]))
        {
            throw new NotSupportedException($"Backbone \"{backboneName}\": convolution \"{conv.Name}\" needs its weight and (folded) bias as initializers to be tuned.");
        }

        long[] strides = Ints("strides");
        long[] pads = Ints("pads");
        long[] dilations = Ints("dilations");
        if (weight.Dims[2] != weight.Dims[3] || Int("group", 1) != 1 || dilations.Any(x => x != 1) || (autoPad is not ("NOTSET" or ""))
            || (strides.Length == 2 && strides[0] != strides[1]) || pads.Length is not (0 or 4))
        {
            throw new NotSupportedException($"Backbone \"{backboneName}\": convolution \"{conv.Name}\" (kernel {weight.Dims[2]}×{weight.Dims[3]}, group {Int("group", 1)}, strides [{string.Join(", ", strides)}], dilations [{string.Join(", ", dilations)}], auto_pad {autoPad}) cannot be tuned: only square kernels, group 1, equal strides, no dilation and explicit pads are.");
        }

        var p = pads.Length == 4 ? new Pads4((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]) : default;
        var layer = new ConvolutionLayer((int)weight.Dims[1], (int)weight.Dims[0], (int)weight.Dims[2], strides.Length == 0 ? 1 : (int)strides[0], p);
        return new TunedConvolution(layer, conv.Input[1], conv.Input[2]);
    }

    /// <summary>One residual block as found in the graph.</summary>
    private sealed record ParsedBlock(string Input, string Output, NodeProto First, NodeProto Middle, NodeProto Second, NodeProto? Shortcut, NodeProto Sum, NodeProto Relu)
    {
        public IEnumerable<NodeProto> Nodes => Shortcut is null ? [First, Middle, Second, Sum, Relu] : [First, Middle, Second, Shortcut, Sum, Relu];
    }
}
