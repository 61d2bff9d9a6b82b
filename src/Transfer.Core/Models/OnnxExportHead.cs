using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Onnx;
using Microsoft.ML.Trainers;
using Onnx;
using Transfer.Heads;

namespace Transfer.Models;

/// <summary>
/// The head as ONNX nodes from <c>Features</c> [N, D] to probabilities [N, C], whatever trained it. Maximum entropy
/// (L-BFGS, Transfer's own trainer, the automatic head's usual pick) is <c>softmax(W·x + b)</c> from its weights.
/// Neural, prototype and nearest-neighbour heads are already an ONNX graph (log-probabilities) followed by ML.NET's
/// identity maximum-entropy scorer: their graph is taken from the head's <c>ApplyOnnxModel</c> step, its names prefixed.
/// Anything else (SDCA with its normaliser, LightGbm) goes through ML.NET's ONNX converter.
/// </summary>
internal static class OnnxExportHead
{
    private const string Prefix = "head/";

    /// <summary>Operators whose inputs or meaning changed in opset 13: an older graph that uses them cannot join the opset-13 export as it is.</summary>
    private static readonly HashSet<string> ChangedInOpset13 = new(StringComparer.Ordinal) { "Squeeze", "Unsqueeze", "ReduceSum", "Split", "Softmax", "LogSoftmax", "Hardmax", "Pad", "Resize" };

    /// <summary>Appends the head; returns its probabilities tensor and the opsets its nodes need besides ONNX 13.</summary>
    /// <exception cref="NotSupportedException">The head has a form ONNX cannot express here; the message names it and what to do.</exception>
    public static (string Probabilities, IReadOnlyList<OperatorSetIdProto> Opsets) Append(OnnxGraphWriter w, TransferModel model, string features)
    {
        var nodes = w.Nodes;
        var initializers = w.Initializers;
        var head = model.Head.ScoringTransformer;
        var parts = Flatten(head).ToList();
        int c = model.Classes.Count;
        int d = model.Manifest.FeatureLength;
        string current = features;
        int next = 0;
        if (parts.Count > 0 && parts[0] is OnnxTransformer onnx)
        {
            // A neural or similarity head: its own graph first (Features → log-probabilities).
            var graph = Heads.Similarity.SimilarityGraph.FromTransformer(onnx)
                ?? throw new NotSupportedException($"The head \"{model.Manifest.Head}\" runs an ONNX graph that ML.NET did not save. Retrain the model with another head (e.g. --head lbfgs).");
            current = Merge(graph, current, model.Manifest.Head, nodes, initializers);
            next = 1;
        }

        if (parts.Count == next + 2 && parts[next] is MulticlassPredictionTransformer<MaximumEntropyModelParameters> linear && parts[next + 1] is KeyToValueMappingTransformer
            && Linear(w, linear.Model, current, c) is { } logits)
        {
            return (w.Op("Softmax", [logits], ("axis", 1L)), []);
        }

        if (next == 1)
        {
            throw Unsupported(model, $"its ONNX graph is followed by {string.Join(", ", parts.Skip(1).Select(p => p.GetType().Name))}, not the maximum-entropy scorer Transfer writes");
        }

        return Converted(model, head, features, d, nodes, initializers);
    }

    /// <summary>W·x + b from an ML.NET maximum-entropy model, or <see langword="null"/> when its shape is not [C, D].</summary>
    private static string? Linear(OnnxGraphWriter w, MaximumEntropyModelParameters parameters, string x, int classes)
    {
        VBuffer<float>[] rows = [];
        parameters.GetWeights(ref rows, out int numClasses);
        var bias = parameters.GetBiases().ToArray();
        if (numClasses != classes || bias.Length != classes || rows.Length != classes || rows.Select(r => r.Length).Distinct().Count() != 1)
        {
            return null;
        }

        int features = rows[0].Length;
        var transposed = new float[features * classes]; // [D, C] for MatMul
        for (int k = 0; k < classes; k++)
        {
            var dense = rows[k].DenseValues().ToArray();
            for (int j = 0; j < features; j++)
            {
                transposed[(j * classes) + k] = dense[j];
            }
        }

        string product = w.Op("MatMul", [x, w.Floats([features, classes], transposed)]);
        return w.Add(product, w.Floats([classes], bias));
    }

    /// <summary>
    /// Converts the head with ML.NET's ONNX converter (opset 12, its newest) and merges the part its <c>Score</c> output
    /// needs: for SDCA a Scaler and a LinearClassifier, for LightGbm TreeEnsembleRegressors and ONNX arithmetic, none of it
    /// changed by opset 13 (checked in <see cref="Merge"/>).
    /// </summary>
    private static (string, IReadOnlyList<OperatorSetIdProto>) Converted(TransferModel model, ITransformer head, string features, int d, List<NodeProto> nodes, List<TensorProto> initializers)
    {
        var ml = new MLContext(0);
        var input = FeatureDataView.CreateUnlabelled(ml, Array.Empty<float>(), 0, d);
        ModelProto converted;
        try
        {
            using var stream = new MemoryStream();
            ml.Model.ConvertToOnnx(head, input, 12, stream);
            converted = ModelProto.Parser.ParseFrom(stream.ToArray());
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or NotImplementedException)
        {
            throw Unsupported(model, $"ML.NET's ONNX converter refused it ({e.Message})", e);
        }

        var g = converted.Graph;
        var score = g.Output.FirstOrDefault(o => o.Name.StartsWith("Score", StringComparison.Ordinal))
            ?? throw Unsupported(model, $"ML.NET's ONNX converter gave no Score output (outputs: {string.Join(", ", g.Output.Select(o => o.Name))})");
        var featureInput = g.Input.FirstOrDefault(i => i.Name.StartsWith(FeatureDataView.FeaturesColumn, StringComparison.Ordinal))
            ?? throw Unsupported(model, $"ML.NET's ONNX converter gave no Features input (inputs: {string.Join(", ", g.Input.Select(i => i.Name))})");
        g.Output.Clear();
        g.Output.Add(score);
        g.Input.Clear();
        g.Input.Add(featureInput);
        string probabilities = Merge(converted, features, model.Manifest.Head, nodes, initializers);
        return (probabilities, [.. converted.OpsetImport.Where(o => !string.IsNullOrEmpty(o.Domain))]);
    }

    /// <summary>
    /// Adds a one-input, one-output graph's nodes (only those its output needs) and initializers, every name prefixed,
    /// its input wired to <paramref name="input"/>; returns its output's new name.
    /// </summary>
    private static string Merge(ModelProto model, string input, string headName, List<NodeProto> nodes, List<TensorProto> initializers)
    {
        var g = model.Graph;
        if (g.Input.Count(i => !g.Initializer.Any(t => t.Name == i.Name)) != 1 || g.Output.Count != 1)
        {
            throw new NotSupportedException($"The head \"{headName}\" has an ONNX graph with inputs [{string.Join(", ", g.Input.Select(i => i.Name))}] and outputs [{string.Join(", ", g.Output.Select(o => o.Name))}]; the export needs one of each. Retrain the model with another head (e.g. --head lbfgs).");
        }

        string source = g.Input.First(i => !g.Initializer.Any(t => t.Name == i.Name)).Name;
        string Rename(string name) => name.Length == 0 ? name : name == source ? input : Prefix + name;
        var needed = new HashSet<string>(StringComparer.Ordinal) { g.Output[0].Name };
        var kept = new List<NodeProto>();
        foreach (var node in g.Node.Reverse())
        {
            if (node.Output.Any(needed.Contains))
            {
                if (node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0))
                {
                    throw new NotSupportedException($"The head \"{headName}\" has an ONNX node with a subgraph ({node.OpType}), which the export does not rename. Retrain the model with another head (e.g. --head lbfgs).");
                }

                needed.UnionWith(node.Input);
                kept.Add(node);
            }
        }

        kept.Reverse();
        long opset = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain))?.Version ?? 13;
        var changed = kept.FirstOrDefault(n => string.IsNullOrEmpty(n.Domain) && ChangedInOpset13.Contains(n.OpType));
        if (opset > 13 || (opset < 13 && changed is not null))
        {
            throw new NotSupportedException($"The head \"{headName}\" is an ONNX opset {opset} graph{(changed is null ? string.Empty : $" using {changed.OpType}, which opset 13 changed")}, and the export is opset 13. Retrain the model with another head (e.g. --head lbfgs).");
        }

        foreach (var node in kept)
        {
            var copy = node.Clone();
            copy.Name = Prefix + copy.Name;
            for (int i = 0; i < copy.Input.Count; i++)
            {
                copy.Input[i] = Rename(copy.Input[i]);
            }

            for (int i = 0; i < copy.Output.Count; i++)
            {
                copy.Output[i] = Rename(copy.Output[i]);
            }

            nodes.Add(copy);
        }

        foreach (var t in g.Initializer.Where(t => needed.Contains(t.Name)))
        {
            var copy = t.Clone();
            copy.Name = Rename(copy.Name);
            initializers.Add(copy);
        }

        return Rename(g.Output[0].Name);
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer t)
    {
        if (t is IEnumerable<ITransformer> chain)
        {
            return chain.SelectMany(Flatten);
        }

        return [t];
    }

    private static NotSupportedException Unsupported(TransferModel model, string why, Exception? inner = null) =>
        new($"The model's head \"{model.Manifest.Head}\" cannot be exported to ONNX: {why}. Retrain the model with a head that exports (lbfgs, the default maximum entropy; a neural, prototype or knn head), e.g. transfer train … --head lbfgs.", inner);
}
