using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;

namespace Transfer.FineTuning;

/// <summary>The frozen trunk: the folded graph up to the cut, with the frozen feature blocks appended to each row.</summary>
internal sealed partial class BackboneSplit
{
    /// <summary>The trunk's output: [N, C·H·W + frozen].</summary>
    private const string TrunkOutput = "transfer_trunk";

    private static (Backbone Trunk, (int C, int H, int W) Input, int FrozenLength) BuildTrunk(Backbone backbone, ModelProto folded, string cut)
    {
        var d = backbone.Descriptor;
        IReadOnlyList<string> pooled = d.PooledOutputs ?? [];
        var shapes = ProbeShapes(folded, d, [cut, .. pooled]);
        if (shapes[0].Length != 4)
        {
            throw new ArgumentException($"Backbone \"{d.Name}\": the activations entering the tuned blocks (\"{cut}\") have shape [{string.Join(", ", shapes[0])}], not [N, C, H, W].");
        }

        var input = ((int)shapes[0][1], (int)shapes[0][2], (int)shapes[0][3]);
        int frozenLength = shapes.Skip(1).Sum(s => (int)s[1]);
        int length = (input.Item1 * input.Item2 * input.Item3) + frozenLength;

        var trunk = Pruned(folded, d, [cut, .. pooled]);
        var g = trunk.Graph;
        var nodes = new List<NodeProto> { BackboneGraph.Node("Flatten", [cut], ["transfer_trunk_map"], ("axis", 1L)) };
        var parts = new List<string> { "transfer_trunk_map" };
        if (pooled.Count > 0 && d.FeatureNormalization == FeatureNormalization.L2)
        {
            g.Initializer.Add(BackboneGraph.Scalar("transfer_trunk_l2_epsilon", BackboneGraph.L2Epsilon));
        }

        for (int i = 0; i < pooled.Count; i++)
        {
            // As the backbone graph makes each pooled block: GlobalAveragePool → Flatten → (÷ max(‖·‖₂, ε)).
            string block = $"transfer_trunk_frozen{i}";
            nodes.Add(BackboneGraph.Node("GlobalAveragePool", [pooled[i]], [block + "_pooled"]));
            nodes.Add(BackboneGraph.Node("Flatten", [block + "_pooled"], [block], ("axis", 1L)));
            parts.Add(d.FeatureNormalization == FeatureNormalization.L2 ? BackboneGraph.AppendL2Normalization(nodes, block, "transfer_trunk_l2_epsilon") : block);
        }

        nodes.Add(BackboneGraph.Node("Concat", [.. parts], [TrunkOutput], ("axis", 1L)));
        g.Node.AddRange(nodes);
        g.Output.Clear();
        g.Output.Add(BackboneGraph.TensorInfo(TrunkOutput, [1, length]));
        var descriptor = d with
        {
            Name = $"{d.Name}-trunk",
            OutputName = TrunkOutput,
            FeatureLength = length,
            PooledOutputs = null,
            FeatureNormalization = FeatureNormalization.None,
        };
        var trunkBackbone = Backbone.FromRewritten(trunk.ToByteArray(), descriptor, $"trunk of {backbone.Source} below \"{cut}\"", inputResized: false);
        return (trunkBackbone, input, frozenLength);
    }

    /// <summary>
    /// A copy of <paramref name="folded"/> holding only the nodes the <paramref name="outputs"/> need, its image input
    /// declared at the descriptor's size (so a backbone resized by <see cref="Backbone.WithInputSize"/> runs at its size).
    /// </summary>
    private static ModelProto Pruned(ModelProto folded, BackboneDescriptor d, IReadOnlyList<string> outputs)
    {
        var model = folded.Clone();
        var g = model.Graph;
        var producers = GraphTools.Producers(g);
        var needed = new HashSet<NodeProto>();
        var pending = new Stack<string>(outputs);
        while (pending.Count > 0)
        {
            if (producers.TryGetValue(pending.Pop(), out var node) && needed.Add(node))
            {
                foreach (string tensor in node.Input)
                {
                    pending.Push(tensor);
                }
            }
        }

        var kept = g.Node.Where(needed.Contains).ToList();
        g.Node.Clear();
        g.Node.AddRange(kept);
        GraphTools.RemoveUnusedInitializers(g);
        g.ValueInfo.Clear();
        var dims = g.Input.First(i => i.Name == d.InputName).Type.TensorType.Shape.Dim;
        dims[2].DimValue = d.Height;
        dims[3].DimValue = d.Width;
        var initializerNames = g.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var graphInputs = g.Input.Where(i => i.Name == d.InputName || initializerNames.Contains(i.Name)).ToList();
        g.Input.Clear();
        g.Input.AddRange(graphInputs);
        return model;
    }

    /// <summary>Runs the pruned graph once on a black image to read the shapes of <paramref name="tensors"/>.</summary>
    private static List<long[]> ProbeShapes(ModelProto folded, BackboneDescriptor d, IReadOnlyList<string> tensors)
    {
        var probe = Pruned(folded, d, tensors);
        probe.Graph.Output.Clear();
        foreach (string t in tensors.Distinct())
        {
            probe.Graph.Output.Add(new ValueInfoProto { Name = t, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }

        var input = probe.Graph.Input.First(i => i.Name == d.InputName);
        input.Type.TensorType.Shape.Dim[0].DimValue = 1;
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        using var pixels = OrtValue.CreateTensorValueFromMemory(new float[3 * d.Height * d.Width], [1, 3, d.Height, d.Width]);
        var names = tensors.Distinct().ToList();
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [d.InputName], [pixels], names);
        var byName = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => results[x.i].GetTensorTypeAndShape().Shape, StringComparer.Ordinal);
        return [.. tensors.Select(t => byName[t])];
    }
}
