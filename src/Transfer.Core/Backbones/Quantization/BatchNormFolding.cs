using Google.Protobuf;
using Onnx;

namespace Transfer.Backbones.Quantization;

/// <summary>
/// Folds inference-mode <c>BatchNormalization</c> nodes into the <c>Conv</c> that feeds them:
/// <c>W' = W · γ/√(σ² + ε)</c> per output channel and <c>b' = (b − μ) · γ/√(σ² + ε) + β</c>. Exact up to float rounding.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>Folds every Conv → BatchNormalization pair whose Conv output feeds only that BatchNormalization.</summary>
    /// <param name="model">The model (not changed).</param>
    /// <returns>A folded copy and the number of BatchNormalization nodes folded.</returns>
    public static (ModelProto Model, int Folded) Fold(ModelProto model)
    {
        var folded = model.Clone();
        var g = folded.Graph;
        var inits = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var consumers = GraphTools.Consumers(g);
        var producers = GraphTools.Producers(g);
        var outputs = g.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var remove = new HashSet<NodeProto>();
        int count = 0;
        foreach (var bn in g.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (bn.Input.Count != 5 || bn.Output.Count != 1 || !producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv"
                || consumers[bn.Input[0]].Count != 1 || outputs.Contains(bn.Input[0]) || !inits.TryGetValue(conv.Input[1], out var weight)
                || !bn.Input.Skip(1).All(inits.ContainsKey) || consumers.GetValueOrDefault(conv.Input[1])?.Count > 1)
            {
                continue;
            }

            float epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            var gamma = BackboneGraph.ReadFloats(inits[bn.Input[1]]);
            var beta = BackboneGraph.ReadFloats(inits[bn.Input[2]]);
            var mean = BackboneGraph.ReadFloats(inits[bn.Input[3]]);
            var variance = BackboneGraph.ReadFloats(inits[bn.Input[4]]);
            var w = BackboneGraph.ReadFloats(weight);
            int channels = (int)weight.Dims[0];
            if (gamma.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels)
            {
                continue;
            }

            float[] bias = conv.Input.Count > 2 && inits.TryGetValue(conv.Input[2], out var b) ? BackboneGraph.ReadFloats(b) : new float[channels];
            int perChannel = w.Length / channels;
            var newW = new float[w.Length];
            var newB = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                // Computed in double so the folded graph matches the unfolded one to float rounding.
                double factor = gamma[c] / Math.Sqrt(variance[c] + (double)epsilon);
                for (int i = c * perChannel; i < (c + 1) * perChannel; i++)
                {
                    newW[i] = (float)(w[i] * factor);
                }

                newB[c] = (float)(((bias[c] - (double)mean[c]) * factor) + beta[c]);
            }

            string wName = conv.Input[1] + "_bnfolded";
            string bName = conv.Input[1] + "_bnfolded_bias";
            var wt = BackboneGraph.Floats(wName, [.. weight.Dims], newW);
            g.Initializer.Add(wt);
            g.Initializer.Add(BackboneGraph.Floats(bName, [channels], newB));
            conv.Input[1] = wName;
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = bName;
            }
            else
            {
                conv.Input.Add(bName);
            }

            conv.Output[0] = bn.Output[0];
            remove.Add(bn);
            count++;
        }

        var kept = g.Node.Where(n => !remove.Contains(n)).ToList();
        g.Node.Clear();
        g.Node.AddRange(kept);
        GraphTools.RemoveUnusedInitializers(g);
        return (folded, count);
    }
}
